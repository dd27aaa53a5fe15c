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
    // As a Windows editor saves it: restic reads PASSWORD out of it, and so must we.
    std::fs::write(&password, format!("\u{feff}{PASSWORD}  \r\n")).unwrap();
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

/// Debian's `restic` on `repository`, with its password and the S3 credentials.
fn restic_command(repository: &str, extra: &[&str]) -> Command {
    let mut restic = Command::new("restic");
    restic
        .args(extra)
        .args(["-r", repository, "--no-cache"])
        .env("RESTIC_PASSWORD", PASSWORD)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    restic
}

/// `restic ARGS` on the repository, as restic sees it: its exit code and what it said.
fn restic(repository: &str, extra: &[&str], args: &[&str]) -> (i32, String) {
    let out = restic_command(repository, extra)
        .args(args)
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
    let sftp_url = format!("sftp://safeops@127.0.0.1:{}//repo", sftp.port);
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
    // A server that is not there (after the retries): exit 5 too.
    let nobody = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone = format!("s3:http://{}/bucket/none", nobody.local_addr().unwrap());
    drop(nobody);
    let (code, _, stderr) = run(safeops(dir.path(), None).args(["backups", "--to", &gone]));
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("Connection refused"), "{stderr}");

    let plain = dir.path().join("plain");
    let (code, _, stderr) =
        run(safeops(dir.path(), None).args(["backups", "init", plain.to_str().unwrap()]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("needs no init"), "{stderr}");
    for bad in ["s3:ftp://x/y", "sftp:nohost", "repo:"] {
        let (code, _, stderr) = run(safeops(dir.path(), None).args(["backups", "init", bad]));
        assert_eq!(code, 2, "{bad}: {stderr}");
    }
    // Credentials written into a location: refused, and not repeated.
    let with_secret = format!("s3:http://key:sekrit@127.0.0.1:{}/bucket/b", s3.port);
    for verb in [&["backups", "--to"][..], &["verify", "x", "--to"]] {
        let (code, _, stderr) = run(safeops(dir.path(), None).args(verb).arg(&with_secret));
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("AWS_ACCESS_KEY_ID"), "{stderr}");
        assert!(!stderr.contains("sekrit"), "{stderr}");
    }
    // A local repository whose disk is not mounted: said, and no empty directory is
    // made in its place.
    let unmounted = dir.path().join("mnt/nas/repo");
    let location = format!("repo:{}", unmounted.display());
    for verb in [&["backups", "--to"][..], &["verify", "x", "--to"]] {
        let (code, _, stderr) = run(safeops(dir.path(), None).args(verb).arg(&location));
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("does not exist"), "{stderr}");
        assert!(
            !dir.path().join("mnt").exists(),
            "{verb:?} made the directory"
        );
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

/// `backups TARGET --to URL` as JSON, and the ids it lists, newest first.
fn listed_ids(
    dir: &Path,
    key: Option<&Path>,
    target: &str,
    url: &str,
) -> (serde_json::Value, Vec<String>) {
    let listed =
        common::json(safeops(dir, key).args(["backups", target, "--to", url, "--format", "json"]));
    let ids = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_string())
        .collect();
    (listed, ids)
}

/// `backups init URL`, which must succeed.
fn init(dir: &Path, key: Option<&Path>, url: &str) {
    let (code, _, stderr) = run(safeops(dir, key).args(["backups", "init", url]));
    assert_eq!(code, 0, "{stderr}");
}

/// A new repository in `dir/repository`: its path and its location.
fn local_repository(dir: &Path) -> (std::path::PathBuf, String) {
    let path = dir.join("repository");
    let url = format!("repo:{}", path.display());
    init(dir, None, &url);
    (path, url)
}

/// A container named after `prefix` running `command` with a volume at `/data`; both
/// removed on drop.
fn container_with_volume(prefix: &str, command: &[&str]) -> (common::Cleanup, String, String) {
    common::require_engine();
    let mut cleanup = common::Cleanup::new();
    let name = common::unique(prefix);
    let volume = format!("{name}-data");
    cleanup.containers.push(name.clone());
    cleanup.volumes.push(volume.clone());
    let mount = format!("{volume}:/data");
    let mut run = vec!["run", "-d", "--name", &name, "-v", &mount, common::IMAGE];
    run.extend(command);
    common::docker(&run);
    (cleanup, name, volume)
}

/// Has restic back up a stand-in for a backup (a directory holding a `manifest.json` of
/// `{}`, in `dir/elsewhere`) into `repository`, as host `host` with `tags`.
fn restic_stand_in(dir: &Path, repository: &str, host: &str, tags: &str) {
    let elsewhere = dir.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("manifest.json"), "{}").unwrap();
    let stand_in = elsewhere.to_str().unwrap();
    let (code, said) = restic(
        repository,
        &[],
        &["backup", "--host", host, "--tag", tags, stand_in],
    );
    assert_eq!(code, 0, "{said}");
}

/// Runs `script` with `sh -c` in `container`: what it printed.
fn sh_in(container: &str, script: &str) -> String {
    common::docker(&["exec", container, "sh", "-c", script])
}

/// A container with a volume holding a 4 MiB file, a small file with an owner, and a
/// symlink; removed on drop.
fn data_container(dir: &Path) -> (common::Cleanup, String, String) {
    let (cleanup, name, volume) = container_with_volume("repo", &["sleep", "3600"]);
    sh_in(
        &name,
        "mkdir -p /data/sub && echo one > /data/a && chown 123:456 /data/a && \
         chmod 751 /data && chown 77:88 /data && \
         dd if=/dev/urandom of=/data/sub/big bs=1M count=4 2>/dev/null && ln -s a /data/link",
    );
    let _ = dir;
    (cleanup, name, volume)
}

#[test]
fn a_repository_compresses_at_the_level_it_was_created_with() {
    let dir = tempfile::tempdir().unwrap();
    let (_cleanup, container, _volume) = data_container(dir.path());
    sh_in(&container, "seq 1 300000 > /data/counted");
    let repo = |level: &str| {
        format!(
            "repo:{}",
            dir.path().join(format!("level-{level}")).display()
        )
    };
    // What the packs take (a snapshot's `added_bytes` counts the content uncompressed).
    let stored = |level: &str| {
        let mut init = safeops(dir.path(), None);
        init.args([
            "backups",
            "init",
            &repo(level),
            "--compression-level",
            level,
        ]);
        let (code, _, stderr) = run(&mut init);
        assert_eq!(code, 0, "{stderr}");
        backup_json(dir.path(), None, &container, &repo(level));
        let packs = walk_files(&dir.path().join(format!("level-{level}/data")));
        packs
            .iter()
            .map(|p| std::fs::metadata(p).unwrap().len())
            .sum::<u64>()
    };
    let (fastest, smallest) = (stored("1"), stored("19"));
    // The counted file alone differs by about 750 KB; two repositories of one level
    // differ by a few KB (the snapshots' times).
    assert!(
        smallest + 256 * 1024 < fastest,
        "level 19 stored {smallest}, level 1 {fastest}"
    );
    // A backup cannot change a repository's level: into repositories alone it refuses
    // the flag, beside a plain backup it says whose level it is.
    let backup = |to: &[&str]| {
        let mut backup = safeops(dir.path(), None);
        backup.args(["backup", &container, "--compression-level", "9", "-t", "0"]);
        for to in to {
            backup.args(["--to", to]);
        }
        run(&mut backup)
    };
    let (code, _, stderr) = backup(&[&repo("1")]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("backups init --compression-level"),
        "{stderr}"
    );
    let plain = dir.path().join("plain");
    let (code, _, stderr) = backup(&[plain.to_str().unwrap(), &repo("1")]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("note: --compression-level is the plain backup's"),
        "{stderr}"
    );
}

fn backup_json(dir: &Path, key: Option<&Path>, container: &str, to: &str) -> serde_json::Value {
    backup_json_with(dir, key, container, to, &[])
}

/// `backup CONTAINER --to TO --format json` with `extra` flags.
fn backup_json_with(
    dir: &Path,
    key: Option<&Path>,
    container: &str,
    to: &str,
    extra: &[&str],
) -> serde_json::Value {
    common::json(
        safeops(dir, key)
            .args([
                "backup", container, "--to", to, "--format", "json", "-t", "1",
            ])
            .args(extra),
    )
}

/// Every regular file of `volume` in a snapshot restored by restic into `restored` has
/// the digest the snapshot's digest list gives it.
fn assert_digest_list_matches(restored: &Path, volume: &str) {
    use sha2::Digest;
    let list = restored.join(format!("volumes/{volume}.files.json"));
    let list: serde_json::Value = serde_json::from_slice(&std::fs::read(&list).unwrap()).unwrap();
    let root = restored.join(format!("volumes/{volume}"));
    let mut files = 0;
    for entry in list["entries"].as_array().unwrap() {
        if entry["kind"] != "file" {
            continue;
        }
        let path = root.join(entry["path"].as_str().unwrap());
        let digest = hex::encode(sha2::Sha256::digest(std::fs::read(&path).unwrap()));
        assert_eq!(entry["sha256"], digest.as_str(), "{}", path.display());
        files += 1;
    }
    assert!(files >= 2, "{list}");
}

#[test]
fn backups_into_s3_and_sftp_are_incremental_and_restic_restores_them() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = storage::s3(dir.path());
    let (sftp, key) = storage::sftp(dir.path());
    let (_cleanup, container, volume) = data_container(dir.path());
    let mountpoint = common::fixture::mountpoint(&volume);
    let s3_url = format!("s3:http://127.0.0.1:{}/bucket/off-site", s3.port);
    let sftp_url = format!("sftp://safeops@127.0.0.1:{}//repo", sftp.port);
    let sftp_command = format!(
        "sftp.command=ssh -i {} -p {} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null safeops@127.0.0.1 -s sftp",
        key.display(),
        sftp.port
    );
    let cases: [(&str, &str, Vec<&str>); 2] = [
        (&s3_url, &s3_url, vec![]),
        (
            &sftp_url,
            "sftp:safeops@127.0.0.1:/repo",
            vec!["-o", &sftp_command],
        ),
    ];
    for (n, (url, restic_url, extra)) in cases.iter().enumerate() {
        sh_in(&container, "echo one > /data/a");
        init(dir.path(), Some(&key), url);
        let first = backup_json(dir.path(), Some(&key), &container, url);
        let snap = &first["snapshot"];
        assert!(snap["added_bytes"].as_u64().unwrap() >= 4 << 20, "{first}");
        // The volume's counts, though the snapshot's manifest was sealed before.
        let counted = &first["volumes"][0]["fingerprint"];
        assert!(counted["file_count"].as_u64().unwrap() >= 2, "{first}");
        assert!(
            counted["total_bytes"].as_u64().unwrap() >= 4 << 20,
            "{first}"
        );
        let down = first["downtime_seconds"].as_f64().unwrap();
        assert!(
            down > 0.0 && down < first["seconds"].as_f64().unwrap(),
            "{first}"
        );
        // Unchanged: the volume's files are not read again, (almost) nothing is added.
        let second = backup_json(dir.path(), Some(&key), &container, url);
        let again = &second["snapshot"];
        assert!(
            again["added_bytes"].as_u64().unwrap() < 64 << 10,
            "{second}"
        );
        assert!(again["files_unchanged"].as_u64().unwrap() >= 3, "{second}");
        assert_eq!(again["parent"], snap["id"], "{second}");
        // A changed file: the newest snapshot has the new version, the first the old.
        sh_in(&container, "echo two > /data/a");
        let third = backup_json(dir.path(), Some(&key), &container, url);
        assert_eq!(
            common::docker(&["inspect", &container, "--format", "{{.State.Status}}"]).trim(),
            "running"
        );
        for (snapshot, expected) in [(&third["snapshot"]["id"], "two"), (&snap["id"], "one")] {
            let target = dir.path().join(format!("restored-{n}-{expected}"));
            let id = snapshot.as_str().unwrap();
            let (code, said) = restic(
                restic_url,
                extra,
                &["restore", &id[..8], "--target", target.to_str().unwrap()],
            );
            assert_eq!(code, 0, "restic restore: {said}");
            let root = target.join("volumes").join(&volume);
            assert_eq!(
                std::fs::read_to_string(root.join("a")).unwrap().trim(),
                expected
            );
            assert_eq!(
                std::fs::read(root.join("sub/big")).unwrap(),
                std::fs::read(mountpoint.join("sub/big")).unwrap(),
                "the big file restores byte for byte"
            );
            use std::os::unix::fs::MetadataExt;
            let meta = std::fs::symlink_metadata(root.join("a")).unwrap();
            assert_eq!((meta.uid(), meta.gid()), (123, 456));
            // The volume's own directory keeps its owner and mode too.
            let meta = std::fs::symlink_metadata(&root).unwrap();
            assert_eq!((meta.uid(), meta.gid()), (77, 88));
            assert_eq!(meta.mode() & 0o7777, 0o751);
            assert_eq!(
                std::fs::read_link(root.join("link")).unwrap(),
                Path::new("a")
            );
            assert!(target.join("manifest.json").is_file());
            assert!(
                target
                    .join(format!("containers/{container}.json"))
                    .is_file()
            );
            // The digest list holds what was read, and what the parent's gave for
            // the files unchanged since.
            assert_digest_list_matches(&target, &volume);
        }
        // `backups` lists the three, newest first, with what each added.
        let (listed, ids) = listed_ids(dir.path(), Some(&key), &container, url);
        assert_eq!(
            ids,
            [&third["snapshot"]["id"], &again["id"], &snap["id"]]
                .map(|v| v.as_str().unwrap())
                .to_vec(),
            "{listed}"
        );
        assert!(
            listed[1]["added_bytes"].as_u64().unwrap() < 64 << 10,
            "{listed}"
        );
        let (code, said) = restic(restic_url, extra, &["check", "--read-data"]);
        assert_eq!(code, 0, "restic check --read-data: {said}");
    }
}

#[test]
fn a_failing_repository_backup_restarts_the_containers_and_publishes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = storage::s3(dir.path());
    let (_cleanup, container, _) = data_container(dir.path());
    let url = format!("s3:http://127.0.0.1:{}/bucket/r", s3.port);
    init(dir.path(), None, &url);
    let snapshots =
        || std::fs::read_dir(s3.root.join("bucket/r/snapshots")).map_or(0, |d| d.count());
    // Wrong password, wrong secret: exit 5, the container runs again, no snapshot.
    let wrong = dir.path().join("wrong-password");
    std::fs::write(&wrong, "not it\n").unwrap();
    let (code, _, stderr) = run(safeops(dir.path(), None)
        .env("SAFEOPS_REPOSITORY_PASSWORD_FILE", &wrong)
        .args(["backup", &container, "--to", &url, "-t", "1"]));
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("wrong password"), "{stderr}");
    assert!(!stderr.contains("not it"), "{stderr}");
    let (code, _, stderr) = run(safeops(dir.path(), None)
        .env("AWS_SECRET_ACCESS_KEY", "nope")
        .args(["backup", &container, "--to", &url, "-t", "1"]));
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("403"), "{stderr}");
    assert_eq!(
        common::docker(&["inspect", &container, "--format", "{{.State.Status}}"]).trim(),
        "running"
    );
    assert_eq!(snapshots(), 0);
}

/// Bytes stored under `dir`.
fn stored_bytes(dir: &Path) -> u64 {
    walk_files(dir)
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum()
}

#[test]
fn a_repository_shared_by_hosts_keeps_each_hosts_snapshots_apart() {
    let dir = tempfile::tempdir().unwrap();
    let (_cleanup, container, _) = data_container(dir.path());
    let (path, url) = local_repository(dir.path());
    let repository = path.to_str().unwrap();
    // Another host's target of the same name (and of one only other hosts have),
    // backed up into the same repository by restic itself.
    let other_host = |host: &str, target: &str| {
        let tags = format!("docker-safeops,safeops-target={target}");
        restic_stand_in(dir.path(), repository, host, &tags);
    };
    let backup = |extra: &[&str]| backup_json_with(dir.path(), None, &container, &url, extra);
    let first = backup(&[]);
    other_host("other-host", &container);
    // The parent is this host's snapshot, not the other host's newer one; `--keep 1`
    // forgets this host's older snapshot only.
    let second = backup(&["--keep", "1"]);
    assert_eq!(
        second["snapshot"]["parent"], first["snapshot"]["id"],
        "{second}"
    );
    let first_id = first["snapshot"]["id"].as_str().unwrap();
    assert_eq!(
        second["pruned"],
        serde_json::json!([format!("{url}#{first_id}")]),
        "{second}"
    );
    let (code, said) = restic(repository, &[], &["snapshots", "--host", "other-host"]);
    assert_eq!(code, 0, "{said}");
    assert!(
        said.contains("1 snapshots"),
        "the other host's stays: {said}"
    );
    let listed =
        common::json(safeops(dir.path(), None).args(["backups", "--to", &url, "--format", "json"]));
    let hosts: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["host"].as_str().unwrap())
        .collect();
    assert_eq!(hosts.len(), 2, "{listed}");
    assert!(hosts.contains(&"other-host"), "{listed}");
    let (code, table, _) = run(safeops(dir.path(), None).args(["backups", "--to", &url]));
    assert_eq!(code, 0, "{table}");
    assert!(
        table.contains("HOST") && table.contains("other-host"),
        "{table}"
    );
    // A target only other hosts have: that of one host is taken (a restore onto a new
    // machine; this one is no safeops backup, so the drill refuses its manifest), two
    // are ambiguous and an ID is asked for.
    let drill = |what: &str| {
        run(safeops(dir.path(), None).args(["drill", what, "--to", &url, "--format", "json"]))
    };
    other_host("host-a", "shared-name");
    let (code, _, stderr) = drill("shared-name");
    assert_ne!(code, 0, "{stderr}");
    assert!(!stderr.contains("several hosts"), "{stderr}");
    assert!(stderr.contains("manifest.json"), "{stderr}");
    other_host("host-b", "shared-name");
    let (code, _, stderr) = drill("shared-name");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("several hosts (host-a, host-b)"),
        "{stderr}"
    );
    // An unpublished snapshot (a run that died) is no snapshot to any verb, by id too.
    restic_stand_in(dir.path(), repository, "host-c", "safeops-pending");
    let (_, listed) = restic(
        repository,
        &[],
        &["snapshots", "--tag", "safeops-pending", "--json"],
    );
    let pending: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let id = pending[0]["id"].as_str().unwrap();
    let (code, _, stderr) = run(safeops(dir.path(), None).args(["verify", &id[..8], "--to", &url]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no snapshot"), "{stderr}");
}

/// The chunks safeops cuts are restic's: restic backing up the same volume after safeops
/// stores no data of its own, for a file cut into several chunks as for small ones, and
/// for files restic cuts where its chunker first looks (at its smallest chunk) or a few
/// bytes after, where rustic_core's chunker left a byte out of its window
/// (`vendor/rustic_cdc/PATCH.md`).
#[test]
fn restic_finds_every_chunk_of_a_safeops_snapshot_already_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (_cleanup, container, volume) = data_container(dir.path());
    sh_in(
        &container,
        "dd if=/dev/urandom of=/data/sub/bigger bs=1M count=11 2>/dev/null && \
         for i in 1 2 3 4 5 6 7 8; do head -c $((i * 70000)) /dev/urandom > /data/small$i; done",
    );
    let (path, url) = local_repository(dir.path());
    let mountpoint = common::fixture::mountpoint(&volume);
    let (random, cut) = a_cut_restic_makes(dir.path(), path.to_str().unwrap());
    for (name, after_first_look) in [("cut-at-first-look", 0), ("cut-soon-after", 10)] {
        let start = cut - SMALLEST_CHUNK - after_first_look;
        std::fs::write(mountpoint.join(name), &random[start..]).unwrap();
    }
    backup_json(dir.path(), None, &container, &url);
    let (code, said) = restic(
        path.to_str().unwrap(),
        &[],
        &["backup", "--json", mountpoint.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{said}");
    let summary: serde_json::Value = said
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|message| message["message_type"] == "summary")
        .unwrap_or_else(|| panic!("no summary from restic: {said}"));
    assert!(summary["files_new"].as_u64().unwrap() >= 13, "{summary}");
    assert_eq!(
        summary["data_blobs"], 0,
        "restic stored chunks of its own: {summary}"
    );
}

/// Restic's smallest chunk: its chunker looks for a cut only from there on.
const SMALLEST_CHUNK: usize = 512 * 1024;

/// Random bytes and a place where restic's chunker cuts them for `repository`'s
/// polynomial, found by having restic back them up (from outside any volume): the end
/// of a chunk that ends on a cut rather than at restic's largest chunk or the file's end.
fn a_cut_restic_makes(dir: &Path, repository: &str) -> (Vec<u8>, usize) {
    use std::io::Read;
    const LARGEST_CHUNK: usize = 8 << 20;
    let source = dir.join("random");
    std::fs::create_dir(&source).unwrap();
    let mut random = vec![0; 12 << 20];
    std::fs::File::open("/dev/urandom")
        .unwrap()
        .read_exact(&mut random)
        .unwrap();
    std::fs::write(source.join("file"), &random).unwrap();
    let (code, said) = restic(repository, &[], &["backup", source.to_str().unwrap()]);
    assert_eq!(code, 0, "{said}");
    let (code, listed) = restic(repository, &[], &["list", "blobs"]);
    assert_eq!(code, 0, "{listed}");
    let chunks: Vec<Vec<u8>> = listed
        .lines()
        .filter_map(|line| line.strip_prefix("data "))
        .map(|id| {
            let out = restic_command(repository, &[])
                .args(["cat", "blob", id])
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
            out.stdout
        })
        .collect();
    let mut start = 0;
    loop {
        let chunk = chunks
            .iter()
            .find(|chunk| random[start..].starts_with(chunk))
            .unwrap_or_else(|| panic!("restic stored no chunk starting at byte {start}"));
        let end = start + chunk.len();
        if chunk.len() > SMALLEST_CHUNK + 64 && chunk.len() < LARGEST_CHUNK && end < random.len() {
            return (random, end);
        }
        start = end;
    }
}

/// Without quiescing, files a container removes while the volume is read are left out of
/// the snapshot and its digest list, with a warning, as the plain format does: the
/// snapshot is published and verifies.
#[test]
fn files_that_vanish_while_read_without_quiescing_are_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let (_, url) = local_repository(dir.path());
    let (_cleanup, name, _) = container_with_volume(
        "repo-churn",
        &[
            "sh",
            "-c",
            "i=0; while true; do i=$((i+1)); for j in 0 1 2 3 4 5 6 7 8 9; do \
             echo $i > /data/t$j; rm -f /data/t$((9-j)); done; done",
        ],
    );
    let id = unquiesced_backups_until(dir.path(), &url, &name, 20, "vanished while being read")
        .expect("in 20 backups of a volume this busy, a file vanished");
    let (code, _, stderr) = run(safeops(dir.path(), None).args(["verify", &id[..8], "--to", &url]));
    assert_eq!(code, 0, "{stderr}");
}

/// Without quiescing, a file a container writes while the volume is read is named in a
/// warning, as the plain format does; the snapshot is published and verifies.
#[test]
fn files_written_while_read_without_quiescing_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let (_, url) = local_repository(dir.path());
    let (_cleanup, name, _) = container_with_volume(
        "repo-written",
        &[
            "sh",
            "-c",
            "while true; do dd if=/dev/urandom of=/data/busy bs=64k count=64 conv=notrunc \
             2>/dev/null; done",
        ],
    );
    let id = unquiesced_backups_until(
        dir.path(),
        &url,
        &name,
        10,
        "changed while being read, busy first",
    )
    .expect("in 10 backups of a file written without a pause, it changed");
    let (code, _, stderr) = run(safeops(dir.path(), None).args(["verify", &id, "--to", &url]));
    assert_eq!(code, 0, "{stderr}");
}

/// Backs `name` up without quiescing into `url` until a backup warns `warning`, at most
/// `tries` times: the id of the snapshot it published.
fn unquiesced_backups_until(
    dir: &Path,
    url: &str,
    name: &str,
    tries: usize,
    warning: &str,
) -> Option<String> {
    (0..tries).find_map(|_| {
        let (code, stdout, stderr) = run(safeops(dir, None).args([
            "backup",
            name,
            "--to",
            url,
            "--no-quiesce",
            "--format",
            "json",
        ]));
        assert_eq!(code, 0, "{stderr}");
        stderr.contains(warning).then(|| {
            let done: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            done["snapshot"]["id"].as_str().unwrap().to_string()
        })
    })
}

/// A backup reads back the blobs it reuses from elsewhere than the target's last
/// snapshot (here those of a snapshot restic wrote, which safeops never read back):
/// sound, they are read back and the snapshot is published; damaged, it is not.
#[test]
fn blobs_reused_from_other_snapshots_are_read_back_before_publishing() {
    let dir = tempfile::tempdir().unwrap();
    let (_cleanup, container, volume) = data_container(dir.path());
    let mountpoint = common::fixture::mountpoint(&volume);
    let restic_first = |name: &str| {
        let path = dir.path().join(name);
        let url = format!("repo:{}", path.display());
        init(dir.path(), None, &url);
        let (code, said) = restic(
            path.to_str().unwrap(),
            &[],
            &["backup", mountpoint.to_str().unwrap()],
        );
        assert_eq!(code, 0, "{said}");
        (path, url)
    };
    let (sound_path, sound) = restic_first("sound");
    let done = backup_json(dir.path(), None, &container, &sound);
    let snapshot = &done["snapshot"];
    let (added, verified) = (
        snapshot["added_bytes"].as_u64(),
        snapshot["verified_bytes"].as_u64(),
    );
    assert!(
        added.unwrap() < 1 << 20,
        "the 4 MiB file was restic's: {done}"
    );
    assert!(verified.unwrap() > 4 << 20, "and it was read back: {done}");
    let (_, listed) = restic(
        sound_path.to_str().unwrap(),
        &[],
        &["snapshots", "--tag", "safeops-all-read-back", "--json"],
    );
    let vouching: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(vouching.as_array().map(Vec::len), Some(1), "{listed}");
    let (damaged_path, damaged) = restic_first("damaged");
    flip_a_byte_of_the_biggest_pack(&damaged_path);
    let (code, _, stderr) =
        run(safeops(dir.path(), None).args(["backup", &container, "--to", &damaged, "-t", "1"]));
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("does not read back sound"), "{stderr}");
    let listed = common::json(
        safeops(dir.path(), None).args(["backups", "--to", &damaged, "--format", "json"]),
    );
    assert_eq!(listed, serde_json::json!([]), "nothing published");
}

/// A run that died before publishing (SIGKILL) leaves an unpublished snapshot: the next
/// backup of the target on this host removes it; another host's stays.
#[test]
fn the_next_backup_removes_the_unpublished_snapshots_a_dead_run_left() {
    let dir = tempfile::tempdir().unwrap();
    let (_cleanup, container, _) = data_container(dir.path());
    let (path, url) = local_repository(dir.path());
    let repository = path.to_str().unwrap();
    let here = String::from_utf8(Command::new("uname").arg("-n").output().unwrap().stdout).unwrap();
    let tags = format!("safeops-pending,safeops-target={container}");
    for host in [here.trim(), "other-host"] {
        restic_stand_in(dir.path(), repository, host, &tags);
    }
    let (code, _, stderr) =
        run(safeops(dir.path(), None).args(["backup", &container, "--to", &url]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("removed 1 unpublished snapshot(s)"),
        "{stderr}"
    );
    let (_, listed) = restic(
        repository,
        &[],
        &["snapshots", "--tag", "safeops-pending", "--json"],
    );
    let left: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let hosts: Vec<&str> = left
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["hostname"].as_str().unwrap())
        .collect();
    assert_eq!(hosts, ["other-host"], "{listed}");
}

#[test]
fn keep_forgets_the_oldest_snapshots_and_prunes_what_only_they_held() {
    let dir = tempfile::tempdir().unwrap();
    let (_cleanup, container, _) = data_container(dir.path());
    let (path, url) = local_repository(dir.path());
    // 8 MiB only the first snapshot holds.
    sh_in(
        &container,
        "dd if=/dev/urandom of=/data/once bs=1M count=8 2>/dev/null",
    );
    let keep = |extra: &[&str]| backup_json_with(dir.path(), None, &container, &url, extra);
    let first = keep(&[]);
    common::docker(&["exec", &container, "rm", "/data/once"]);
    let with_once = stored_bytes(&path);
    let second = keep(&["--keep", "2"]);
    assert_eq!(second["pruned"], serde_json::json!([]), "{second}");
    let third = keep(&["--keep", "2"]);
    let first_id = first["snapshot"]["id"].as_str().unwrap();
    assert_eq!(
        third["pruned"],
        serde_json::json!([format!("{url}#{first_id}")]),
        "{third}"
    );
    let (listed, ids) = listed_ids(dir.path(), None, &container, &url);
    assert_eq!(
        ids,
        [&third, &second].map(|b| b["snapshot"]["id"].as_str().unwrap()),
        "{listed}"
    );
    assert!(
        stored_bytes(&path) + (7 << 20) < with_once,
        "the data only the forgotten snapshot held is pruned"
    );
    assert_eq!(lock_files(&path), 0);
    let (code, said) = restic(path.to_str().unwrap(), &[], &["check", "--read-data"]);
    assert_eq!(code, 0, "{said}");
    // `status` reads each volume's last backup off the snapshot list.
    let status_of = |cmd: &mut Command| {
        cmd.args(["status", &container, "--to", &url])
            .args(["--format", "json", "--no-size"]);
        run(cmd)
    };
    let (code, stdout, stderr) = status_of(&mut safeops(dir.path(), None));
    assert_eq!(code, 0, "{stderr}");
    let status: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let volume = &status["targets"][0]["volumes"][0];
    assert_eq!(volume["last_backup"], listed[0]["created"], "{status}");
    assert!(
        volume["last_backup_bytes"].as_u64().unwrap() >= 4 << 20,
        "{status}"
    );
    // Without the password (no terminal to ask on) status still shows the rest.
    let (code, stdout, stderr) =
        status_of(safeops(dir.path(), None).env_remove("SAFEOPS_REPOSITORY_PASSWORD_FILE"));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("LAST BACKUP below leaves them out"),
        "{stderr}"
    );
    let status: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        status["targets"][0]["volumes"][0]["last_backup"].is_null(),
        "{status}"
    );
    assert!(
        status["last_backups_unread"]
            .as_str()
            .is_some_and(|why| why.contains("password")),
        "unknown, not absent: {status}"
    );
}

#[test]
fn verify_reads_the_repository_back_and_a_flipped_byte_fails_with_exit_4() {
    let dir = tempfile::tempdir().unwrap();
    let (_cleanup, container, _) = data_container(dir.path());
    let (repo, url) = local_repository(dir.path());
    let backup = backup_json(dir.path(), None, &container, &url);
    let id = backup["snapshot"]["id"].as_str().unwrap().to_string();
    let verified = common::json(safeops(dir.path(), None).args([
        "verify",
        &id[..10],
        "--to",
        &url,
        "--format",
        "json",
    ]));
    assert_eq!(verified["ok"], true, "{verified}");
    assert!(verified["artifacts"].as_u64().unwrap() >= 1, "{verified}");
    assert!(
        verified["volume_files"].as_u64().unwrap() >= 2,
        "{verified}"
    );
    // The listing tells the last verification (`sound`, `status`), as for a plain backup.
    let assert_listed = |sound: bool, status: &str| {
        let listed = common::json(
            safeops(dir.path(), None).args(["backups", "--to", &url, "--format", "json"]),
        );
        assert_eq!(listed[0]["sound"], sound, "{listed}");
        let shown = listed[0]["status"].as_str().unwrap();
        assert!(shown.starts_with(status), "{listed}");
    };
    assert_listed(true, "verified 20");
    // One byte of the biggest pack flipped: found, named, exit 4.
    flip_a_byte_of_the_biggest_pack(&repo);
    let (code, _, stderr) = run(safeops(dir.path(), None).args(["verify", &id, "--to", &url]));
    assert_eq!(code, 4, "{stderr}");
    assert!(
        stderr.contains("did not verify") && stderr.contains("MAC"),
        "{stderr}"
    );
    assert!(!stderr.contains("Backtrace"), "{stderr}");
    assert_listed(false, "verify failed 20");
}

#[test]
fn ctrl_c_while_the_snapshot_is_written_publishes_nothing_and_restarts() {
    use common::fixture::{
        Fixture, MANY_FILES, assert_interrupted_and_restarted, in_flight, signal,
    };
    let f = Fixture::new("repo-sigint");
    f.exec(MANY_FILES);
    let repo = format!("repo:{}", f.dir.path().join("repository").display());
    init(f.dir.path(), None, &repo);
    let mut backup = safeops(f.dir.path(), None);
    backup.args(["backup", &f.container, "--to", &repo, "-t", "0"]);
    let child = in_flight(&f, backup);
    // Into the snapshot's writing (20,000 files and 50 MB take a few seconds).
    std::thread::sleep(std::time::Duration::from_millis(300));
    signal(&child, "-INT");
    assert_interrupted_and_restarted(&f, child);
    let restic_repo = repo.strip_prefix("repo:").unwrap();
    let (code, said) = restic(restic_repo, &[], &["snapshots", "--json"]);
    assert_eq!((code, said.trim()), (0, "[]"), "no snapshot was published");
    let (code, said) = restic(restic_repo, &[], &["check"]);
    assert_eq!(code, 0, "the repository stays sound: {said}");
}

/// restic holding an exclusive lock on the local repository at `path`: `key passwd`
/// waits for the new password on its stdin.
fn restic_holding_an_exclusive_lock(path: &Path) -> std::process::Child {
    restic_holding_a_lock(path, &["key", "passwd"])
}

/// restic running `args` in the local repository at `path`, which lock it while they
/// wait for their standard input: closing it lets them finish.
fn restic_holding_a_lock(path: &Path, args: &[&str]) -> std::process::Child {
    let holder = Command::new("restic")
        .args(["-r", path.to_str().unwrap(), "--no-cache"])
        .args(args)
        .env("RESTIC_PASSWORD", PASSWORD)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while lock_files(path) == 0 {
        assert!(std::time::Instant::now() < deadline, "restic never locked");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    holder
}

/// The locks in a local repository's `locks/`: files named by a hex ID (restic writes a
/// lock under a temporary name first).
fn lock_files(repository: &Path) -> usize {
    std::fs::read_dir(repository.join("locks")).map_or(0, |dir| {
        dir.filter(|entry| {
            let name = entry.as_ref().unwrap().file_name();
            let name = name.to_string_lossy();
            name.len() == 64 && name.chars().all(|c| c.is_ascii_hexdigit())
        })
        .count()
    })
}

#[test]
fn safeops_and_restic_respect_each_others_locks() {
    use common::fixture::{Fixture, MANY_FILES, in_flight};
    let f = Fixture::new("repo-locks");
    let path = f.dir.path().join("repository");
    let repo = format!("repo:{}", path.display());
    init(f.dir.path(), None, &repo);
    let mut holder = restic_holding_an_exclusive_lock(&path);
    let started = || common::docker(&["inspect", "-f", "{{.State.StartedAt}}", &f.container]);
    let before = started();
    let (code, _, stderr) = run(safeops(f.dir.path(), None).args([
        "backup",
        &f.container,
        "--to",
        &repo,
        "--wait-lock",
        "1",
    ]));
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("waiting for the repository"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "is locked: an exclusive lock of pid {}",
            holder.id()
        )),
        "{stderr}"
    );
    assert_eq!(started(), before, "nothing was stopped");
    // Waiting long enough: the backup goes ahead once restic lets go.
    let waiting = safeops(f.dir.path(), None)
        .args(["backup", &f.container, "--to", &repo, "--wait-lock", "60"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(1));
    drop(holder.stdin.take());
    holder.wait().unwrap();
    let out = waiting.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lock_files(&path), 0, "the backup's lock is gone with it");
    // While a backup writes (its packs not yet indexed), `restic prune` must not run.
    f.exec(MANY_FILES);
    let mut backup = safeops(f.dir.path(), None);
    backup.args(["backup", &f.container, "--to", &repo, "-t", "0"]);
    let child = in_flight(&f, backup);
    let (code, said) = restic(path.to_str().unwrap(), &[], &["prune"]);
    assert_ne!(code, 0, "restic prune ran beside a backup: {said}");
    assert!(said.contains("already locked"), "{said}");
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lock_files(&path), 0);
    let (code, said) = restic(path.to_str().unwrap(), &[], &["check"]);
    assert_eq!(code, 0, "{said}");
    // A restic that was killed leaves its lock: it still counts, as for restic, and is
    // named stale; `restic unlock` removes it.
    let mut crashed = restic_holding_an_exclusive_lock(&path);
    crashed.kill().unwrap();
    crashed.wait().unwrap();
    let (code, _, stderr) =
        run(safeops(f.dir.path(), None).args(["backup", &f.container, "--to", &repo]));
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("looks stale"), "{stderr}");
    let (code, said) = restic(path.to_str().unwrap(), &[], &["unlock"]);
    assert_eq!(code, 0, "{said}");
    // A lock file that does not decrypt might be anyone's exclusive lock: it keeps the
    // backup out, and says how to remove it.
    let garbage = path.join("locks").join("3d".repeat(32));
    std::fs::write(&garbage, [7u8; 200]).unwrap();
    let (code, _, stderr) =
        run(safeops(f.dir.path(), None).args(["backup", &f.container, "--to", &repo]));
    assert_eq!(code, 5, "{stderr}");
    assert!(
        stderr.contains("does not open") && stderr.contains("restic unlock --remove-all"),
        "{stderr}"
    );
    std::fs::remove_file(&garbage).unwrap();
    let (code, _, stderr) =
        run(safeops(f.dir.path(), None).args(["backup", &f.container, "--to", &repo, "-t", "0"]));
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn ctrl_c_while_old_snapshots_wait_to_be_forgotten_exits_130_and_keeps_the_backup() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let (_cleanup, container, _) = data_container(dir.path());
    let (path, url) = local_repository(dir.path());
    let first = backup_json(dir.path(), None, &container, &url);
    // A restic backup reading a standard input that stays open holds a shared lock: the
    // new snapshot is written beside it, forgetting the old one waits for it.
    let mut holder = restic_holding_a_lock(&path, &["backup", "--stdin"]);
    let mut child = safeops(dir.path(), None)
        .args(["backup", &container, "--to", &url, "--keep", "1"])
        .args(["--wait-lock", "60"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut said = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let mut told = Vec::new();
    while !told
        .iter()
        .any(|l: &String| l.contains("waiting for the repository"))
    {
        let line = said.next().unwrap_or_else(|| panic!("no wait: {told:?}"));
        told.push(line.unwrap());
    }
    common::fixture::signal(&child, "-INT");
    told.extend(said.map_while(Result::ok));
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{told:?}");
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("written and verified"), "{summary}");
    assert!(
        told.iter()
            .any(|l| l.contains("after the backup was complete in repo:")),
        "{told:?}"
    );
    // The audit log has the backup, complete, and that the run was interrupted.
    let log = std::fs::read_to_string(dir.path().join("state/docker-safeops/audit.log")).unwrap();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"]["outcome"], "ok", "{last}");
    assert_eq!(
        last["event"]["interrupted"], "interrupted (SIGINT)",
        "{last}"
    );
    let mut input = holder.stdin.take().unwrap();
    std::io::Write::write_all(&mut input, b"stdin").unwrap();
    drop(input);
    assert!(holder.wait().unwrap().success());
    let (_, ids) = listed_ids(dir.path(), None, &container, &url);
    assert_eq!(
        ids.len(),
        2,
        "nothing forgotten, the new backup kept: {ids:?}"
    );
    assert!(ids.contains(&first["snapshot"]["id"].as_str().unwrap().to_string()));
    assert_eq!(lock_files(&path), 0);
}

/// Snapshot `id` of the repository at `path` written again by restic, as this host and
/// with its tags, after `edit` changed its files (restored into a directory): the
/// forged snapshot's ID.
fn forged(dir: &Path, path: &Path, id: &str, edit: impl FnOnce(&Path)) -> String {
    let repository = path.to_str().unwrap();
    let forged = dir.join(format!("forged-{id}"));
    let (code, said) = restic(
        repository,
        &[],
        &["restore", id, "--target", forged.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{said}");
    edit(&forged);
    let (code, said) = restic(repository, &[], &["snapshots", id, "--json"]);
    assert_eq!(code, 0, "{said}");
    let real = &serde_json::from_str::<serde_json::Value>(&said).unwrap()[0];
    let tags: Vec<&str> = real["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let out = Command::new("restic")
        .current_dir(&forged)
        .args(["-r", repository, "--no-cache", "--json", "backup", "."])
        .args(["--host", real["hostname"].as_str().unwrap()])
        .args(["--tag", &tags.join(",")])
        .env("RESTIC_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let summary = String::from_utf8_lossy(&out.stdout);
    summary
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|l| l["snapshot_id"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no snapshot id: {summary}"))
}

/// Rewrites the JSON file at `path` with `edit`.
fn edit_json(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    edit(&mut value);
    std::fs::write(path, value.to_string()).unwrap();
}

#[test]
fn a_snapshot_whose_manifest_moves_a_digest_list_is_refused_before_anything_stops() {
    let dir = tempfile::tempdir().unwrap();
    let (_cleanup, container, volume) = data_container(dir.path());
    let (path, url) = local_repository(dir.path());
    let real = backup_json(dir.path(), None, &container, &url);
    // The same snapshot but for its manifest: an empty digest list path, which no
    // comparison would find.
    let forged_id = forged(
        dir.path(),
        &path,
        real["snapshot"]["id"].as_str().unwrap(),
        |root| {
            edit_json(&root.join("manifest.json"), |m| {
                m["volumes"][0]["file_list"] = "".into()
            })
        },
    );
    let (code, _, stderr) =
        run(safeops(dir.path(), None).args(["verify", &forged_id, "--to", &url]));
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("has no digest list"), "{stderr}");
    let started = || common::docker(&["inspect", "-f", "{{.State.StartedAt}}", &container]);
    let before = started();
    sh_in(&container, "echo changed > /data/a");
    let (code, _, stderr) = run(safeops(dir.path(), None).args([
        "restore",
        &forged_id,
        "--to",
        &url,
        "--confirm",
        &volume,
    ]));
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("is not one safeops writes"), "{stderr}");
    assert_eq!(started(), before, "nothing was stopped");
    assert_eq!(sh_in(&container, "cat /data/a"), "changed\n");
}

#[test]
fn a_snapshot_file_put_under_another_snapshots_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_cleanup, container, volume) = data_container(dir.path());
    let (path, url) = local_repository(dir.path());
    let real = backup_json(dir.path(), None, &container, &url);
    let real_id = real["snapshot"]["id"].as_str().unwrap().to_string();
    // Another snapshot (restic's, with other content) written under the real one's name:
    // a restore by that id must not take it for the snapshot this host made.
    let other = forged(dir.path(), &path, &real_id, |root| {
        std::fs::write(root.join("volumes").join(&volume).join("a"), "planted\n").unwrap()
    });
    let snapshots = path.join("snapshots");
    // restic says a short id.
    let other = std::fs::read_dir(&snapshots)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|name| name.starts_with(&other))
        .unwrap();
    std::fs::rename(snapshots.join(&other), snapshots.join(&real_id)).unwrap();
    for verb in [
        &["verify", &real_id][..],
        &["restore", &real_id, "--confirm", &volume],
    ] {
        let (code, _, stderr) = run(safeops(dir.path(), None).args(verb).args(["--to", &url]));
        assert_eq!(code, 4, "{verb:?}: {stderr}");
        assert!(stderr.contains("is not what its name says"), "{stderr}");
    }
    assert_ne!(sh_in(&container, "cat /data/a"), "planted\n");
    // The failed verify is what the listing says of it from then on.
    let listed =
        common::json(safeops(dir.path(), None).args(["backups", "--to", &url, "--format", "json"]));
    let entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == real_id.as_str());
    assert_eq!(entry.map(|s| &s["sound"]), Some(&false.into()), "{listed}");
}

#[test]
fn a_restore_that_fails_at_its_second_volume_names_the_first_it_restored() {
    let dir = tempfile::tempdir().unwrap();
    let (mut cleanup, container, first) = container_with_volume("twovol", &["sleep", "3600"]);
    let second = format!("{container}-more");
    cleanup.volumes.push(second.clone());
    common::docker(&["rm", "-f", &container]);
    common::docker(&[
        "run",
        "-d",
        "--name",
        &container,
        "-v",
        &format!("{first}:/data"),
        "-v",
        &format!("{second}:/more"),
        common::IMAGE,
        "sleep",
        "3600",
    ]);
    sh_in(&container, "echo one > /data/a && echo two > /more/b");
    let (path, url) = local_repository(dir.path());
    let real = backup_json(dir.path(), None, &container, &url);
    // The second volume's digest list gives its file another digest: found only as the
    // file is restored, once the first volume is.
    let forged_id = forged(
        dir.path(),
        &path,
        real["snapshot"]["id"].as_str().unwrap(),
        |root| {
            edit_json(&root.join(format!("volumes/{second}.files.json")), |list| {
                for entry in list["entries"].as_array_mut().unwrap() {
                    if entry["sha256"].is_string() {
                        entry["sha256"] = "ab".repeat(32).into();
                    }
                }
            })
        },
    );
    sh_in(
        &container,
        "echo changed > /data/a && echo changed > /more/b",
    );
    let (code, _, stderr) = run(safeops(dir.path(), None).args([
        "restore",
        &forged_id,
        "--to",
        &url,
        "--confirm",
        &container,
        "-t",
        "0",
    ]));
    assert_eq!(code, 4, "{stderr}");
    assert!(
        stderr.contains(&format!("restored before this and kept: {first};")),
        "{stderr}"
    );
    assert_eq!(sh_in(&container, "cat /data/a /more/b"), "one\nchanged\n");
    assert_eq!(
        common::docker(&["inspect", &container, "--format", "{{.State.Status}}"]).trim(),
        "running"
    );
}

#[test]
fn two_backups_into_one_repository_at_once_both_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("repository");
    let repo = format!("repo:{}", path.display());
    init(dir.path(), None, &repo);
    let (_one, first, _) = data_container(dir.path());
    let (_two, second, _) = data_container(dir.path());
    common::all_succeed([&first, &second].map(|container| {
        let mut backup = safeops(dir.path(), None);
        backup.args(["backup", container, "--to", &repo, "-t", "1"]);
        backup
    }));
    let (code, said) = restic(path.to_str().unwrap(), &[], &["snapshots", "--json"]);
    assert_eq!(code, 0, "{said}");
    let snapshots: serde_json::Value = serde_json::from_str(&said).unwrap();
    assert_eq!(snapshots.as_array().unwrap().len(), 2, "{said}");
    let (code, said) = restic(path.to_str().unwrap(), &[], &["check", "--read-data"]);
    assert_eq!(code, 0, "{said}");
}

/// The content, owners and modes of a volume tree, for comparing two of them.
/// An entry of a tree: path, mode, owner, group, content (a symlink's target), and a
/// regular file's mtime.
type EntryState = (String, u32, u32, u32, Vec<u8>, Option<i64>);

/// Each entry of the tree at `root`.
fn tree_state(root: &Path) -> Vec<EntryState> {
    use std::os::unix::fs::MetadataExt;
    let mut state = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let content = if meta.is_file() {
            std::fs::read(&path).unwrap()
        } else if meta.file_type().is_symlink() {
            std::fs::read_link(&path)
                .unwrap()
                .into_os_string()
                .into_encoded_bytes()
        } else {
            for entry in std::fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
            Vec::new()
        };
        let rel = path.strip_prefix(root).unwrap().display().to_string();
        let mtime = meta.is_file().then(|| meta.mtime());
        state.push((rel, meta.mode(), meta.uid(), meta.gid(), content, mtime));
    }
    state.sort();
    state
}

/// Puts a file modified in 1960 into the container's `/data`.
fn dated_before_1970(container: &str) {
    sh_in(
        container,
        "echo old > /data/old && touch -d '1960-01-02 03:04:05' /data/old",
    );
}

#[test]
fn restores_from_s3_and_sftp_keep_every_guarantee_and_a_bad_pack_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = storage::s3(dir.path());
    let (sftp, key) = storage::sftp(dir.path());
    let (mut cleanup, container, volume) = data_container(dir.path());
    let mountpoint = common::fixture::mountpoint(&volume);
    let backups = dir.path().join("plain-backups");
    let restore = |args: &[&str]| {
        run(safeops(dir.path(), Some(&key))
            .env("SAFEOPS_BACKUP_DIR", &backups)
            .arg("restore")
            .args(args))
    };
    dated_before_1970(&container);
    let s3_url = format!("s3:http://127.0.0.1:{}/bucket/restores", s3.port);
    let sftp_url = format!("sftp://safeops@127.0.0.1:{}//restores", sftp.port);
    for (n, url) in [&s3_url, &sftp_url].into_iter().enumerate() {
        sh_in(&container, "echo one > /data/a");
        let original = tree_state(&mountpoint);
        if n == 0 {
            // A pack no index names (a backup under way, or one that died) is no reason
            // to refuse a restore.
            let orphan = s3.root.join("bucket/restores/data/00");
            std::fs::create_dir_all(&orphan).unwrap();
            std::fs::write(orphan.join("00".repeat(32)), b"unindexed").unwrap();
        }
        init(dir.path(), Some(&key), url);
        let old = backup_json(dir.path(), Some(&key), &container, url)["snapshot"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        sh_in(&container, "echo two > /data/a");
        let changed = tree_state(&mountpoint);
        let new = backup_json(dir.path(), Some(&key), &container, url)["snapshot"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        // The older snapshot into a new volume: byte for byte, owners and modes too.
        let copy = format!("{volume}-copy{n}");
        cleanup.volumes.push(copy.clone());
        let (code, stdout, stderr) = restore(&[
            &old[..8],
            "--to",
            url,
            "--volume",
            &format!("{volume}:{copy}"),
            "--format",
            "json",
        ]);
        assert_eq!(code, 0, "{stderr}");
        let outcome: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(outcome["volumes"][0]["created"], true, "{outcome}");
        assert_eq!(tree_state(&common::fixture::mountpoint(&copy)), original);
        // The newer one over the volume itself: refused without confirmation, then
        // done with it, the current content saved first and the container restarted.
        sh_in(&container, "echo three > /data/a");
        let (code, _, stderr) = restore(&[&new, "--to", url]);
        assert_eq!(code, 3, "{stderr}");
        assert_eq!(
            std::fs::read_to_string(mountpoint.join("a")).unwrap(),
            "three\n"
        );
        let (code, stdout, stderr) =
            restore(&[&new, "--to", url, "--confirm", &volume, "--format", "json"]);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(tree_state(&mountpoint), changed);
        let outcome: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let safety = outcome["safety_backup"].as_str().unwrap();
        assert!(Path::new(safety).starts_with(&backups), "{outcome}");
        assert_eq!(
            common::docker(&["inspect", &container, "--format", "{{.State.Status}}"]).trim(),
            "running"
        );
    }
    // A flipped byte in a pack: the restore stops before anything is touched (exit 4).
    flip_a_byte_of_the_biggest_pack(&s3.root.join("bucket/restores"));
    let before = tree_state(&mountpoint);
    let listed = common::json(
        safeops(dir.path(), None).args(["backups", "--to", &s3_url, "--format", "json"]),
    );
    let newest = listed[0]["id"].as_str().unwrap();
    let (code, _, stderr) = restore(&[newest, "--to", &s3_url, "--confirm", &volume]);
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("did not verify"), "{stderr}");
    assert_eq!(tree_state(&mountpoint), before);
}

/// Flips one byte of the biggest pack file of the repository stored at `repository`.
fn flip_a_byte_of_the_biggest_pack(repository: &Path) {
    let mut packs: Vec<std::path::PathBuf> = std::fs::read_dir(repository.join("data"))
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|f| f.unwrap().path())
        .collect();
    packs.sort_by_key(|p| std::fs::metadata(p).unwrap().len());
    let pack = packs.last().unwrap();
    let mut bytes = std::fs::read(pack).unwrap();
    bytes[1000] ^= 0xff;
    std::fs::write(pack, bytes).unwrap();
}

/// Every file under `dir`, recursively.
fn walk_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk_files(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// A container with many files and an S3 server with a repository named `name` in it:
/// the fixture, the server, the repository's location and where the server stores it.
fn many_files_on_s3(
    name: &str,
) -> (
    common::fixture::Fixture,
    storage::Server,
    String,
    std::path::PathBuf,
) {
    use common::fixture::{Fixture, MANY_FILES};
    let f = Fixture::new(&format!("repo-{name}"));
    f.exec(MANY_FILES);
    let s3 = storage::s3(f.dir.path());
    let url = format!("s3:http://127.0.0.1:{}/bucket/{name}", s3.port);
    init(f.dir.path(), None, &url);
    let stored = s3.root.join("bucket").join(name);
    (f, s3, url, stored)
}

/// Waits until a pack is in the repository stored at `stored`.
fn wait_for_a_pack(stored: &Path) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !stored.join("data").exists() || walk_files(&stored.join("data")).is_empty() {
        assert!(std::time::Instant::now() < deadline, "no pack was uploaded");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn a_server_that_dies_mid_upload_fails_cleanly_and_the_containers_run_again() {
    use common::fixture::in_flight;
    let (f, s3, url, stored) = many_files_on_s3("dies");
    // With a plain backup in the same run: it goes too when the snapshot fails.
    let plain = f.dir.path().join("plain");
    let mut backup = safeops(f.dir.path(), None);
    backup.args([
        "backup",
        &f.container,
        "--to",
        plain.to_str().unwrap(),
        "--to",
        &url,
        "-t",
        "0",
    ]);
    let child = in_flight(&f, backup);
    // Once the first pack is on the server, the server dies.
    wait_for_a_pack(&stored);
    drop(s3);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(1 | 5)), "{stderr}");
    assert!(
        stderr.contains("repository s3:http://127.0.0.1"),
        "{stderr}"
    );
    assert!(stderr.contains("Connection refused"), "{stderr}");
    assert!(!stderr.contains("Backtrace"), "{stderr}");
    assert!(
        stderr.contains(&format!("restarted {}", f.container)),
        "{stderr}"
    );
    assert_eq!(f.state(), "running");
    let snapshots = std::fs::read_dir(stored.join("snapshots")).map_or(0, |d| d.count());
    assert_eq!(snapshots, 0, "no snapshot was published");
    let left: Vec<_> = std::fs::read_dir(&plain).unwrap().collect();
    assert!(left.is_empty(), "no plain backup either: {left:?}");
    let staging = f.dir.path().join("state/docker-safeops/staging");
    let staged: Vec<_> = std::fs::read_dir(&staging).unwrap().collect();
    assert!(staged.is_empty(), "nothing left staged: {staged:?}");
}

/// Ctrl-C once the containers run again, with the last uploads still waiting: the
/// error says which were started again.
#[test]
fn the_containers_start_again_once_the_volumes_are_read_while_the_last_uploads_wait() {
    use std::io::BufRead;
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let (_cleanup, container, _volume) = data_container(dir.path());
    let s3 = storage::s3(dir.path());
    let url = format!("s3:http://127.0.0.1:{}/bucket/tail", s3.port);
    init(dir.path(), None, &url);
    let state = || common::docker(&["inspect", &container, "--format", "{{.State.Status}}"]);
    let until = |wanted: &str| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while state().trim() != wanted {
            assert!(Instant::now() < deadline, "never {wanted}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    // The container ignores SIGTERM: its stop takes the 3 s given, and the server is
    // frozen meanwhile. The volume fits in one pack, uploaded only as the snapshot is
    // finished: the volume is read whole with the server frozen. The backup is left
    // running again, with its uploads waiting for the server; its stderr is told.
    let backup_until_restarted = |url: &str| {
        let mut child = safeops(dir.path(), None)
            .args(["backup", &container, "--to", url, "-t", "3"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let (lines, said) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let _ = lines.send(line);
            }
        });
        let mut told = Vec::new();
        while !told.iter().any(|l: &String| l.starts_with("stopping")) {
            let line = said.recv_timeout(Duration::from_secs(60));
            told.push(line.unwrap_or_else(|_| panic!("no stop: {told:?}")));
        }
        s3.freeze(true);
        until("exited");
        until("running");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the backup is not done: its uploads wait for the server"
        );
        (child, said, told)
    };
    let (child, said, mut told) = backup_until_restarted(&url);
    s3.freeze(false);
    let out = child.wait_with_output().unwrap();
    told.extend(said.iter());
    assert!(out.status.success(), "{told:?}");
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("written and verified"), "{summary}");
    assert_eq!(state().trim(), "running");
    // Into a new repository too: a parent's trees would be read from the server.
    let url = format!("s3:http://127.0.0.1:{}/bucket/interrupted", s3.port);
    init(dir.path(), None, &url);
    let (child, said, mut told) = backup_until_restarted(&url);
    common::fixture::signal(&child, "-INT");
    // What was sent before the signal waits for the server to answer.
    std::thread::sleep(Duration::from_secs(1));
    s3.freeze(false);
    let out = child.wait_with_output().unwrap();
    told.extend(said.iter());
    assert_eq!(out.status.code(), Some(130), "{told:?}");
    let restarted = format!("(restarted {container})");
    assert!(told.iter().any(|l| l.contains(&restarted)), "{told:?}");
    assert_eq!(state().trim(), "running");
}

#[test]
fn a_server_that_stops_answering_mid_upload_times_out_and_ctrl_c_restarts_at_once() {
    use common::fixture::{in_flight, signal};
    let (f, s3, url, stored) = many_files_on_s3("stuck");
    let backup = |url: &str| {
        let mut backup = safeops(f.dir.path(), None);
        backup
            .args(["backup", &f.container, "--to", url, "-t", "0"])
            .env("SAFEOPS_STUCK_REQUEST_TIMEOUT", "1s");
        backup
    };
    // Left alone, the stuck requests time out, are tried again and fail the backup.
    let child = in_flight(&f, backup(&url));
    wait_for_a_pack(&stored);
    s3.freeze(true);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(1 | 5)), "{stderr}");
    assert!(stderr.contains("timeout reached"), "{stderr}");
    assert!(
        stderr.contains(&format!("restarted {}", f.container)),
        "{stderr}"
    );
    assert_eq!(f.state(), "running");
    s3.freeze(false);
    // Ctrl-C while a request is stuck starts the container again before the request
    // gives up, and nothing is published. (Into a repository of its own: the server,
    // let go, still writes what it was sent into the first.)
    let url = format!("{url}-again");
    let stored = stored.with_file_name("stuck-again");
    init(f.dir.path(), None, &url);
    let child = in_flight(&f, backup(&url));
    wait_for_a_pack(&stored);
    s3.freeze(true);
    // Long enough for the snapshot's writing to wait on the stuck upload.
    std::thread::sleep(std::time::Duration::from_secs(4));
    signal(&child, "-INT");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(8);
    while f.state() != "running" {
        assert!(
            std::time::Instant::now() < deadline,
            "the container waited for the stuck request"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    s3.freeze(false);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    let snapshots = std::fs::read_dir(stored.join("snapshots")).map_or(0, |d| d.count());
    assert_eq!(snapshots, 0, "nothing published: {stderr}");
}

#[test]
fn one_run_writes_the_same_snapshot_into_every_repository_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = storage::s3(dir.path());
    let (_cleanup, container, volume) = data_container(dir.path());
    let (path, local) = local_repository(dir.path());
    let off_site = format!("s3:http://127.0.0.1:{}/bucket/off-site", s3.port);
    init(dir.path(), None, &off_site);
    let started = || common::docker(&["inspect", "-f", "{{.State.StartedAt}}", &container]);
    let before = started();
    let outcome = common::json(safeops(dir.path(), None).args([
        "backup", &container, "--to", &local, "--to", &off_site, "-t", "1", "--format", "json",
    ]));
    let snapshots = outcome["snapshots"].as_array().unwrap();
    assert_eq!(snapshots.len(), 2, "{outcome}");
    assert_eq!(snapshots[0]["location"], local.as_str(), "{outcome}");
    assert_eq!(snapshots[1]["location"], off_site.as_str(), "{outcome}");
    assert_eq!(outcome["snapshot"], snapshots[0], "{outcome}");
    assert_ne!(started(), before, "stopped once, started again");
    // Each repository restores the same bytes (restic itself, from either).
    for (repository, extra) in [
        (path.to_str().unwrap().to_string(), "local"),
        (off_site.clone(), "s3"),
    ] {
        let target = dir.path().join(format!("restored-{extra}"));
        let (code, said) = restic(
            &repository,
            &[],
            &["restore", "latest", "--target", target.to_str().unwrap()],
        );
        assert_eq!(code, 0, "{said}");
        let (code, said) = restic(&repository, &[], &["snapshots", "--json"]);
        assert_eq!(code, 0, "{said}");
        let listed: serde_json::Value = serde_json::from_str(&said).unwrap();
        assert_eq!(
            listed.as_array().unwrap().len(),
            1,
            "only the published one: {said}"
        );
        assert!(!said.contains("safeops-pending"), "{said}");
        assert_eq!(
            std::fs::read(target.join(format!("volumes/{volume}/sub/big"))).unwrap(),
            std::fs::read(common::fixture::mountpoint(&volume).join("sub/big")).unwrap()
        );
    }
}

#[test]
fn a_plain_directory_and_a_repository_get_the_same_backup_in_one_stop() {
    let dir = tempfile::tempdir().unwrap();
    let (_cleanup, container, volume) = data_container(dir.path());
    let (path, repo) = local_repository(dir.path());
    let plain = dir.path().join("plain");
    let since = common::engine_time();
    let outcome = common::json(safeops(dir.path(), None).args([
        "backup",
        &container,
        "--to",
        plain.to_str().unwrap(),
        "--to",
        &repo,
        "-t",
        "1",
        "--format",
        "json",
    ]));
    let backup = Path::new(outcome["path"].as_str().unwrap());
    assert!(backup.starts_with(&plain), "{outcome}");
    let snapshots = outcome["snapshots"].as_array().unwrap();
    assert_eq!(snapshots.len(), 1, "{outcome}");
    assert_eq!(snapshots[0]["location"], repo.as_str(), "{outcome}");
    let stops = common::container_events(&container, "stop", &since, &common::engine_time());
    assert_eq!(stops.lines().count(), 1, "stopped once for both: {stops}");
    assert_eq!(
        common::docker(&["inspect", "-f", "{{.State.Running}}", &container]).trim(),
        "true"
    );
    // Each verifies on its own; nothing is left staged.
    let (code, _, stderr) =
        run(safeops(dir.path(), None).args(["verify", outcome["path"].as_str().unwrap()]));
    assert_eq!(code, 0, "{stderr}");
    let id = snapshots[0]["id"].as_str().unwrap();
    let (code, _, stderr) = run(safeops(dir.path(), None).args(["verify", id, "--to", &repo]));
    assert_eq!(code, 0, "{stderr}");
    let staging = dir.path().join("state/docker-safeops/staging");
    let left: Vec<_> = std::fs::read_dir(&staging).unwrap().collect();
    assert!(left.is_empty(), "nothing left staged: {left:?}");
    // The snapshot holds what the plain backup holds: the container's spec, the volume.
    let restored = dir.path().join("restored");
    let (code, said) = restic(
        path.to_str().unwrap(),
        &[],
        &["restore", "latest", "--target", restored.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{said}");
    assert!(
        restored
            .join(format!("containers/{container}.json"))
            .is_file()
    );
    assert!(
        backup
            .join(format!("containers/{container}.json"))
            .is_file()
    );
    assert_eq!(
        std::fs::read(restored.join(format!("volumes/{volume}/sub/big"))).unwrap(),
        std::fs::read(common::fixture::mountpoint(&volume).join("sub/big")).unwrap()
    );
    // Two plain directories: refused before anything is stopped.
    let started = || common::docker(&["inspect", "-f", "{{.State.StartedAt}}", &container]);
    let before = started();
    let (code, _, stderr) = run(safeops(dir.path(), None).args([
        "backup",
        &container,
        "--to",
        plain.to_str().unwrap(),
        "--to",
        dir.path().join("second").to_str().unwrap(),
    ]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("one plain backup directory per run"),
        "{stderr}"
    );
    assert_eq!(started(), before);
}

#[test]
fn snapshots_are_drilled_from_the_repository_and_a_bad_pack_refuses_the_drill() {
    let dir = tempfile::tempdir().unwrap();
    let (_cleanup, container, _volume) = data_container(dir.path());
    let (path, repo) = local_repository(dir.path());
    let backup = common::json(safeops(dir.path(), None).args([
        "backup", &container, "--to", &repo, "-t", "1", "--format", "json",
    ]));
    let id = backup["snapshot"]["id"].as_str().unwrap().to_string();
    // `doctor` judges the snapshots where backups go (here the repository), and their
    // drills from the audit log.
    let config = dir.path().join(".xdg-config/docker-safeops");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("policy.toml"),
        "[backup]\nmax_age = \"1d\"\nmax_drill_age = \"1d\"\n",
    )
    .unwrap();
    // `doctor TARGET --format json` with the repository as where backups go.
    let doctor_with = |checks: &[&str]| {
        run(safeops(dir.path(), None)
            .env("SAFEOPS_BACKUP_DIR", &repo)
            .args(["doctor", &container, "--format", "json"])
            .args(checks))
    };
    let doctor = || {
        let (code, stdout, stderr) = doctor_with(&["--check", "backup-age"]);
        let report: serde_json::Value =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
        (code, report["checks"][0].clone())
    };
    let (code, age) = doctor();
    assert_eq!(code, 1, "{age:#}");
    let summary = age["summary"].as_str().unwrap();
    assert!(
        summary.contains(&format!("newest backups: {container}")),
        "{age:#}"
    );
    assert!(summary.contains(&repo), "{age:#}");
    assert_eq!(age["findings"].as_array().unwrap().len(), 1, "{age:#}");
    assert!(
        age["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no passed restore drill"),
        "{age:#}"
    );
    let started = || common::docker(&["inspect", "-f", "{{.State.StartedAt}}", &container]);
    let before = started();
    // The target's newest snapshot, then one named by a prefix of its ID.
    for what in [container.as_str(), &id[..8]] {
        let (code, stdout, stderr) =
            run(safeops(dir.path(), None).args(["drill", what, "--to", &repo, "--format", "json"]));
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(report["outcome"], "passed", "{report:#}");
        let drilled = format!("{repo}#{id}");
        assert_eq!(report["backup"], drilled.as_str(), "{report:#}");
        let checks = report["checks"].as_array().unwrap();
        for name in ["restore".to_string(), format!("start {container}")] {
            assert!(
                checks
                    .iter()
                    .any(|c| c["name"] == name.as_str() && c["status"] == "pass"),
                "{name}: {report:#}"
            );
        }
        assert_eq!(common::drill_leftovers(&drilled).trim(), "", "all removed");
    }
    assert_eq!(
        started(),
        before,
        "production was neither stopped nor restarted"
    );
    let (code, age) = doctor();
    assert_eq!(code, 0, "{age:#}");
    assert_eq!(age["status"], "pass", "{age:#}");
    // A wrong password fails the checks that read the repository, and says why.
    let wrong = dir.path().join("wrong-password");
    std::fs::write(&wrong, "wrong\n").unwrap();
    let (code, stdout, _) = doctor_with(&[
        "--check",
        "backup-age",
        "--check",
        "mounts",
        "--password-file",
        wrong.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("wrong password"), "{stdout}");
    let (code, _, stderr) =
        run(safeops(dir.path(), None).args(["drill", "no-such-target", "--to", &repo]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no snapshot of no-such-target"), "{stderr}");
    // A pack that does not read back: the snapshot is refused before anything is made.
    flip_a_byte_of_the_biggest_pack(&path);
    let (code, _, stderr) = run(safeops(dir.path(), None).args(["drill", &id, "--to", &repo]));
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("did not verify"), "{stderr}");
    assert_eq!(common::drill_leftovers(&format!("{repo}#{id}")).trim(), "");
}

#[test]
fn volumes_read_through_the_engine_api_go_into_a_repository_and_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let (mut cleanup, container, volume) = data_container(dir.path());
    common::docker(&["exec", &container, "ln", "/data/a", "/data/hard"]);
    dated_before_1970(&container);
    let mountpoint = common::fixture::mountpoint(&volume);
    let (path, repo) = local_repository(dir.path());
    let through_api = || {
        let mut cmd = safeops(dir.path(), None);
        cmd.env("SAFEOPS_VOLUME_ACCESS", "api");
        cmd
    };
    let backup = |cmd: &mut Command| {
        common::json(cmd.args([
            "backup", &container, "--to", &repo, "-t", "1", "--format", "json",
        ]))
    };
    let first = backup(&mut through_api());
    assert_eq!(first["volumes"][0]["access"], "api", "{first}");
    let restored = dir.path().join("restored");
    let restic_restore = |id: &str, into: &Path| {
        let (code, said) = restic(
            path.to_str().unwrap(),
            &[],
            &["restore", id, "--target", into.to_str().unwrap()],
        );
        assert_eq!(code, 0, "{said}");
    };
    restic_restore(first["snapshot"]["id"].as_str().unwrap(), &restored);
    // Owners, modes, links and content as in the volume; the hard link as a copy.
    assert_eq!(
        tree_state(&restored.join(format!("volumes/{volume}"))),
        tree_state(&mountpoint)
    );
    // Unchanged: every byte crosses the stream again, almost nothing is stored.
    let second = backup(&mut through_api());
    assert!(
        second["snapshot"]["files_read"].as_u64().unwrap() > 0,
        "{second}"
    );
    assert!(
        second["snapshot"]["added_bytes"].as_u64().unwrap() < 100_000,
        "{second}"
    );
    // Changed in place, same size and mtime: still taken anew (the stream's mtimes are
    // whole seconds, so the parent's metadata proves nothing).
    let small = mountpoint.join("a");
    let mtime = filetime::FileTime::from_last_modification_time(&small.metadata().unwrap());
    std::fs::write(&small, "two\n").unwrap();
    filetime::set_file_mtime(&small, mtime).unwrap();
    let third = backup(&mut through_api());
    let again = dir.path().join("again");
    restic_restore(third["snapshot"]["id"].as_str().unwrap(), &again);
    assert_eq!(
        std::fs::read(again.join(format!("volumes/{volume}/a"))).unwrap(),
        b"two\n"
    );
    assert_digest_list_matches(&again, &volume);
    // Back through the engine API into a new volume, every file checked.
    let copy = format!("{volume}-copy");
    cleanup.volumes.push(copy.clone());
    let id = third["snapshot"]["id"].as_str().unwrap();
    let (code, _, stderr) = run(through_api().args([
        "restore",
        &id[..12],
        "--to",
        &repo,
        "--volume",
        &format!("{volume}:{copy}"),
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty() || !stderr.contains("error"), "{stderr}");
    // The engine moves a time before 1970 to the epoch, and the restore says so.
    assert!(
        stderr.contains("1 file(s) dated before 1970 are dated 1970-01-01"),
        "{stderr}"
    );
    let mut expected = tree_state(&mountpoint);
    for entry in expected.iter_mut().filter(|e| e.0 == "old") {
        entry.5 = Some(0);
    }
    assert_eq!(tree_state(&common::fixture::mountpoint(&copy)), expected);
    // No helper container is left on the volume.
    let users = common::docker(&["ps", "-aq", "--filter", &format!("volume={volume}")]);
    assert_eq!(
        users.lines().count(),
        1,
        "only the container itself: {users}"
    );
    // A snapshot with a volume read through the engine is no parent for a direct read
    // (its mtimes prove nothing): the next direct backup reads every file once.
    let direct = backup(&mut safeops(dir.path(), None));
    assert_eq!(direct["volumes"][0]["access"], "direct", "{direct}");
    assert!(direct["snapshot"]["parent"].is_null(), "{direct}");
    assert_eq!(direct["snapshot"]["files_unchanged"], 0, "{direct}");
    let next = backup(&mut safeops(dir.path(), None));
    assert_eq!(
        next["snapshot"]["parent"], direct["snapshot"]["id"],
        "{next}"
    );
    assert!(
        next["snapshot"]["files_unchanged"].as_u64().unwrap() >= 2,
        "{next}"
    );
}

#[test]
fn images_go_into_the_snapshot_and_restore_images_loads_them_back() {
    let dir = tempfile::tempdir().unwrap();
    let (mut cleanup, container, volume) = data_container(dir.path());
    let (path, repo) = local_repository(dir.path());
    // The container's image under a tag of this test's own, removed after the backup.
    let tag = format!("safeops-test/{}:1", common::unique("img"));
    common::docker(&["tag", common::IMAGE, &tag]);
    let app = common::unique("imgapp");
    cleanup.containers.push(app.clone());
    common::docker(&[
        "create",
        "--name",
        &app,
        "-v",
        &format!("{volume}:/data"),
        &tag,
        "true",
    ]);
    let outcome = common::json(safeops(dir.path(), None).args([
        "backup", &app, "--to", &repo, "--images", "-t", "1", "--format", "json",
    ]));
    assert_eq!(outcome["images"][0], tag.as_str(), "{outcome}");
    let id = outcome["snapshot"]["id"].as_str().unwrap().to_string();
    let listed = dir.path().join("listed");
    let (code, said) = restic(
        path.to_str().unwrap(),
        &[],
        &[
            "restore",
            &id,
            "--target",
            listed.to_str().unwrap(),
            "--include",
            "/images",
        ],
    );
    assert_eq!(code, 0, "{said}");
    assert!(listed.join("images/images.tar").metadata().unwrap().len() > 100_000);
    common::docker(&["rm", "-f", &app]);
    common::docker(&["rmi", &tag]);
    let copy = format!("{volume}-copy");
    cleanup.volumes.push(copy.clone());
    let (code, _, stderr) = run(safeops(dir.path(), None).args([
        "restore",
        &id,
        "--to",
        &repo,
        "--images",
        "--volume",
        &format!("{volume}:{copy}"),
    ]));
    assert_eq!(code, 0, "{stderr}");
    common::docker(&["image", "inspect", &tag]);
    common::docker(&["rmi", &tag]);
    assert_eq!(
        common::docker(&["inspect", "-f", "{{.State.Running}}", &container]).trim(),
        "true"
    );
}

#[test]
fn s3_credentials_come_from_an_aws_profile_as_for_the_aws_cli() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = storage::s3(dir.path());
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    std::fs::write(
        home.join(".aws/credentials"),
        format!(
            "[default]\naws_access_key_id = wrong\naws_secret_access_key = wrong\n\n\
             [backups]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
        ),
    )
    .unwrap();
    let init = |profile: Option<&str>, prefix: &str| {
        let mut cmd = safeops(dir.path(), None);
        cmd.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env("HOME", &home);
        match profile {
            Some(profile) => cmd.env("AWS_PROFILE", profile),
            None => cmd.env_remove("AWS_PROFILE"),
        };
        let url = format!("s3:http://127.0.0.1:{}/bucket/{prefix}", s3.port);
        run(cmd.args(["backups", "init", &url]))
    };
    let (code, _, stderr) = init(Some("backups"), "profile");
    assert_eq!(code, 0, "{stderr}");
    // The default profile's keys are wrong: denied, and said so.
    let (code, _, stderr) = init(None, "default");
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("403"), "{stderr}");
}

#[test]
fn a_full_repository_fails_clearly_and_publishes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_cleanup, container, _volume) = data_container(dir.path());
    sh_in(&container, "head -c 12582912 /dev/urandom > /data/blob");
    let disk = common::SmallDisk::mount(dir.path().join("small"), "8m");
    let path = dir.path().join("small/repository");
    let repo = format!("repo:{}", path.display());
    init(dir.path(), None, &repo);
    let started = || common::docker(&["inspect", "-f", "{{.State.StartedAt}}", &container]);
    let before = started();
    let (code, _, stderr) =
        run(safeops(dir.path(), None).args(["backup", &container, "--to", &repo, "-t", "0"]));
    assert!(matches!(code, 1 | 5), "{code}: {stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(stderr.contains("storage is full"), "{stderr}");
    assert!(
        !stderr.contains("retrying"),
        "a full disk is no blip: {stderr}"
    );
    assert!(
        stderr.contains(&format!("restarted {container}")),
        "{stderr}"
    );
    assert_ne!(started(), before, "it was stopped, then started again");
    assert_eq!(
        common::docker(&["inspect", "-f", "{{.State.Running}}", &container]).trim(),
        "true"
    );
    let (code, said) = restic(path.to_str().unwrap(), &[], &["snapshots", "--json"]);
    assert_eq!((code, said.trim()), (0, "[]"), "nothing published");
    drop(disk);
}

#[test]
fn a_safety_backup_goes_into_the_repository_and_its_undo_command_restores() {
    let dir = tempfile::tempdir().unwrap();
    let (_, url) = local_repository(dir.path());
    let mut cleanup = common::Cleanup::new();
    let volume = common::unique("repo-safety");
    cleanup.volumes.push(volume.clone());
    common::docker(&["volume", "create", &volume]);
    let in_volume = |script: &str| {
        common::docker(&[
            "run",
            "--rm",
            "-v",
            &format!("{volume}:/d"),
            common::IMAGE,
            "sh",
            "-c",
            script,
        ])
    };
    in_volume("echo precious > /d/f");
    let remove = ["volume", "rm", &volume, "--to", &url, "--confirm", &volume];
    // Without a password (no terminal to ask on) nothing is destroyed.
    let (code, _, stderr) = run(safeops(dir.path(), None)
        .env_remove("SAFEOPS_REPOSITORY_PASSWORD_FILE")
        .args(remove));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("nothing was destroyed"), "{stderr}");
    assert!(
        stderr.contains("LAST BACKUP below leaves them out: the backups in"),
        "the plan says it did not read the repository: {stderr}"
    );
    common::docker(&["volume", "inspect", &volume]);
    let (code, _, stderr) = run(safeops(dir.path(), None).args(remove));
    assert_eq!(code, 0, "{stderr}");
    let undo = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("undo with: docker safeops "))
        .unwrap_or_else(|| panic!("no undo command: {stderr}"));
    assert!(undo.ends_with(&format!("--to {url}")), "{undo}");
    // Backups of a container of the volume's name, keeping one, leave the safety
    // backup alone: another kind of target, and a safety backup.
    let container = volume.clone();
    cleanup.containers.push(container.clone());
    common::docker(&[
        "run",
        "-d",
        "--name",
        &container,
        "-v",
        &format!("{volume}:/d"),
        common::IMAGE,
        "sleep",
        "600",
    ]);
    for _ in 0..2 {
        let (code, _, stderr) = run(safeops(dir.path(), None)
            .args(["backup", &container, "--to", &url, "--keep", "1", "-t", "0"]));
        assert_eq!(code, 0, "{stderr}");
    }
    let listed =
        common::json(safeops(dir.path(), None).args(["backups", "--to", &url, "--format", "json"]));
    assert_eq!(
        listed.as_array().unwrap().len(),
        2,
        "the safety backup and the last backup: {listed}"
    );
    common::docker(&["rm", "-f", &container]);
    in_volume("echo newer > /d/f");
    let words: Vec<&str> = undo.split(' ').collect();
    let (code, stdout, stderr) = run(safeops(dir.path(), None)
        .args(&words)
        .args(["--confirm", &volume]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(in_volume("cat /d/f").trim(), "precious");
    // That restore's own safety backup is a plain one, named by its directory: its undo
    // command works although backups go into the repository (`--to` says so).
    let undo = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("undo with: docker safeops restore "))
        .unwrap_or_else(|| panic!("no undo command: {stdout}"));
    assert!(undo.starts_with('/'), "{undo}");
    for verb in [
        &["verify", undo][..],
        &["restore", undo, "--confirm", &volume],
    ] {
        let (code, _, stderr) = run(safeops(dir.path(), None).args(verb).args(["--to", &url]));
        assert_eq!(code, 0, "{verb:?}: {stderr}");
    }
    assert_eq!(in_volume("cat /d/f").trim(), "newer");
    // The plan of the next removal tells the safety backup as the volume's last backup.
    let plan = common::json(safeops(dir.path(), None).args([
        "volume",
        "rm",
        &volume,
        "--to",
        &url,
        "--dry-run",
        "--format",
        "json",
    ]));
    let last = plan["volumes"][0]["last_backup"]
        .as_str()
        .unwrap_or_default();
    assert!(last.starts_with("20"), "{plan}");
}

#[test]
fn the_audit_log_is_checked_against_the_heads_its_snapshots_record() {
    let dir = tempfile::tempdir().unwrap();
    let (_cleanup, container, volume) = data_container(dir.path());
    let (_, repo) = local_repository(dir.path());
    let succeeds = |args: &[&str]| {
        let (code, stdout, stderr) = run(safeops(dir.path(), None).args(args));
        assert_eq!(code, 0, "{args:?}: {stderr}");
        stdout
    };
    succeeds(&["protect", &volume, "--reason", "billing data"]);
    succeeds(&["unprotect", &volume]);
    backup_json(dir.path(), None, &container, &repo);
    let checked = succeeds(&["log", "--verify", "--to", &repo]);
    assert!(checked.contains("chain intact"), "{checked}");
    // The log cut back to its first entry and the head beside it removed: only the
    // off-host snapshot still knows how far the log went.
    let log = dir.path().join("state/docker-safeops/audit.log");
    let first = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    std::fs::write(&log, format!("{first}\n")).unwrap();
    std::fs::remove_file(log.with_extension("head")).unwrap();
    succeeds(&["log", "--verify"]);
    let (code, _, stderr) = run(safeops(dir.path(), None).args(["log", "--verify", "--to", &repo]));
    assert_eq!(code, 4, "{stderr}");
    assert!(
        stderr.contains("snapshot ") && stderr.contains("truncated"),
        "{stderr}"
    );
}
