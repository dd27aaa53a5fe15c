//! Hostile input against the real engine: forged backups, hostile names, loader bombs,
//! racing containers. Each attack has a canary outside what safeops may touch, and the
//! canary must stay as it was.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::fixture::*;
use common::*;

/// Runs `status` in `dir` with the built-in compose loader (no compose CLI on PATH) and
/// returns (exit code, stderr, how long it took).
fn status_with_builtin_loader(dir: &Path) -> (i32, String, Duration) {
    let path = path_with(dir, &[]);
    let started = Instant::now();
    let (code, _, stderr) = run(safeops(dir).env("PATH", path).arg("status"));
    (code, stderr, started.elapsed())
}

#[test]
fn nested_interpolation_bomb_is_a_usage_error_not_a_crash() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    let depth = 20_000;
    let bomb = format!("{}x{}", "${A:-".repeat(depth), "}".repeat(depth));
    std::fs::write(
        dir.path().join("compose.yaml"),
        format!("services:\n  web:\n    image: \"{bomb}\"\n"),
    )
    .unwrap();
    let (code, stderr, took) = status_with_builtin_loader(dir.path());
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("nested deeper"), "{stderr}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn include_graph_bomb_loads_every_file_once() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("a")).unwrap();
    // f0 includes f1 four times under different spellings, f1 includes f2 four
    // times, ...: 4^14 loads when the loader keys its cache by the spelling.
    let levels = 14;
    for level in 0..levels {
        let next = level + 1;
        let body = if next == levels {
            format!("services:\n  s{level}:\n    image: {IMAGE}\n")
        } else {
            format!(
                "include:\n  - f{next}.yaml\n  - ./f{next}.yaml\n  - a/../f{next}.yaml\n  - a/./../f{next}.yaml\nservices:\n  s{level}:\n    image: {IMAGE}\n"
            )
        };
        let name = if level == 0 {
            "compose.yaml".to_string()
        } else {
            format!("f{level}.yaml")
        };
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    let (code, stderr, took) = status_with_builtin_loader(dir.path());
    assert_eq!(code, 0, "{stderr}");
    assert!(took < Duration::from_secs(5), "took {took:?}: {stderr}");
}

/// Rewrites a backup's `manifest.json` through `edit` (the manifest is not in
/// `SHA256SUMS`: forging it needs no checksum).
fn forge_manifest(backup: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = backup.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut manifest);
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
}

fn volume_exists(name: &str) -> bool {
    run(std::process::Command::new("docker").args(["volume", "inspect", name])).0 == 0
}

#[test]
fn a_forged_bind_device_in_a_backup_does_not_reach_the_host() {
    let mut f = Fixture::new("forgedbind");
    f.exec("echo payload > /data/planted");
    let backup = f.backup(&[]);
    let canary = f.dir.path().join("canary");
    std::fs::create_dir(&canary).unwrap();
    std::fs::write(canary.join("host-file"), "untouched").unwrap();
    forge_manifest(&backup, |m| {
        m["volumes"][0]["driver_opts"] = serde_json::json!({
            "type": "none", "o": "bind", "device": canary.to_str().unwrap()
        });
    });
    let into = unique("forgedbind-new");
    f.cleanup_volume(&into);
    let selection = format!("{}:{into}", f.volume);
    let backup_arg = backup.to_str().unwrap();
    // Even with a matching --confirm: refused, nothing created, the host untouched.
    let (code, _, stderr) = run(f.safeops().args([
        "restore",
        backup_arg,
        "--volume",
        &selection,
        "--confirm",
        &into,
    ]));
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("device="), "{stderr}");
    assert!(stderr.contains("--trust-volume-options"), "{stderr}");
    assert!(!volume_exists(&into));
    // Naming the volume is not enough without a terminal: it must be confirmed.
    let (code, _, stderr) = run(f.safeops().args([
        "restore",
        backup_arg,
        "--volume",
        &selection,
        "--trust-volume-options",
        &into,
    ]));
    assert_eq!(code, 3, "{stderr}");
    assert!(!volume_exists(&into));
    let entries: Vec<_> = std::fs::read_dir(&canary)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, vec![std::ffi::OsString::from("host-file")]);
    assert_eq!(
        std::fs::read_to_string(canary.join("host-file")).unwrap(),
        "untouched"
    );
}

#[test]
fn a_restore_into_a_new_name_is_not_labelled_as_the_old_project() {
    let mut f = Fixture::new("relabel");
    docker(&["rm", "-f", &f.container]);
    f.cleanup.containers.push(f.container.clone());
    let project = unique("relabelproj");
    let volume = format!("{project}_data");
    f.cleanup_volume(&volume);
    docker(&[
        "volume",
        "create",
        "--label",
        "com.docker.compose.project=x",
        "--label",
        "com.docker.compose.volume=data",
        "--label",
        "keep.me=yes",
        &volume,
    ]);
    docker(&[
        "run",
        "-d",
        "--name",
        &f.container,
        "-v",
        &format!("{volume}:/data"),
        IMAGE,
        "sh",
        "-c",
        "echo hi > /data/f; sleep 3600",
    ]);
    let out = json(
        f.safeops()
            .args(["backup", &f.container, "-t", "1", "--format", "json"]),
    );
    let backup = out["path"].as_str().unwrap().to_string();
    let into = unique("relabel-new");
    f.cleanup_volume(&into);
    let (code, _, stderr) =
        run(f
            .safeops()
            .args(["restore", &backup, "--volume", &format!("{volume}:{into}")]));
    assert_eq!(code, 0, "{stderr}");
    let labels = docker(&["volume", "inspect", "-f", "{{json .Labels}}", &into]);
    assert!(labels.contains("keep.me"), "{labels}");
    assert!(!labels.contains("com.docker.compose"), "{labels}");
}

#[test]
fn hostile_names_in_a_manifest_fail_verification() {
    let f = Fixture::new("hostilenames");
    let backup = f.backup(&[]);
    for (field, value) in [
        ("target", "../../escape"),
        ("volume", "x/../../y"),
        ("container", "line\n\u{1b}[31mforged"),
    ] {
        let forged = f.dir.path().join(format!("forged-{field}"));
        copy_dir(&backup, &forged);
        forge_manifest(&forged, |m| match field {
            "target" => m["target"]["name"] = value.into(),
            "volume" => m["volumes"][0]["name"] = value.into(),
            _ => m["containers"][0]["name"] = value.into(),
        });
        let (code, stdout, stderr) = run(f.safeops().args(["verify", forged.to_str().unwrap()]));
        assert_eq!(code, 4, "{field}: {stderr}");
        assert!(
            stderr.contains("not a valid Docker name"),
            "{field}: {stderr}"
        );
        assert!(
            !stdout.contains('\u{1b}') && !stderr.contains('\u{1b}'),
            "{field}: raw escape printed"
        );
    }
}

#[test]
fn a_truncated_or_rewritten_audit_log_fails_verification() {
    let f = Fixture::new("auditcut");
    f.backup(&[]);
    f.backup(&[]);
    f.backup(&[]);
    let log = f.dir.path().join("state/docker-safeops/audit.log");
    let head = log.with_extension("head");
    let verify = || run(f.safeops().args(["log", "--verify"]));
    let (code, stdout, stderr) = verify();
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("3 entries, chain intact"), "{stdout}");
    let text = std::fs::read_to_string(&log).unwrap();
    let first_two: String = text.lines().take(2).map(|l| format!("{l}\n")).collect();

    // Cut off the last entry: the rest is a valid chain, the head file says otherwise.
    std::fs::write(&log, &first_two).unwrap();
    let (code, _, stderr) = verify();
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("truncated"), "{stderr}");

    // Delete the log and the head file too: the backups' manifests still anchor it.
    std::fs::remove_file(&log).unwrap();
    std::fs::remove_file(&head).unwrap();
    let (code, _, stderr) = verify();
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("backup "), "{stderr}");
}

#[test]
fn secrets_in_container_env_stay_out_of_logs_and_private_on_disk() {
    require_engine();
    let mut cleanup = Cleanup::new();
    let dir = tempfile::tempdir().unwrap();
    let name = unique("secretenv");
    cleanup.containers.push(name.clone());
    let secret = "s3cr3t-canary-value";
    docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "-e",
        &format!("DB_PASSWORD={secret}"),
        IMAGE,
        "sleep",
        "3600",
    ]);
    let state = dir.path().join("state");
    let with_trace = |args: &[&str]| {
        run(safeops(dir.path())
            .env("RUST_LOG", "trace")
            .env("XDG_STATE_HOME", &state)
            .env("SAFEOPS_BACKUP_DIR", dir.path().join("backups"))
            .args(args))
    };
    for args in [
        vec!["status", name.as_str()],
        vec!["backup", name.as_str(), "-t", "1"],
    ] {
        let (code, stdout, stderr) = with_trace(&args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(
            stderr.contains("trace: ") || stderr.contains("debug: "),
            "no logs at all: {stderr}"
        );
        assert!(
            !stderr.contains(secret) && !stdout.contains(secret),
            "{args:?} printed the secret"
        );
    }
    // The saved specs hold the env: owner-only files in owner-only directories.
    use std::os::unix::fs::PermissionsExt;
    let specs = state.join("docker-safeops/specs").join(&name);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&specs), 0o700);
    let files: Vec<_> = std::fs::read_dir(&specs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!files.is_empty());
    for file in files {
        assert!(std::fs::read_to_string(&file).unwrap().contains(secret));
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

#[test]
fn symlinks_in_a_backup_directory_are_not_followed() {
    let f = Fixture::new("backuplinks");
    let backup = f.backup(&[]);
    let host_dir = f.dir.path().join("host-dir");
    std::fs::create_dir(&host_dir).unwrap();
    std::fs::write(host_dir.join("host-only-name"), "x").unwrap();
    let looping = f.dir.path().join("looping");
    copy_dir(&backup, &looping);
    std::os::unix::fs::symlink(".", looping.join("a")).unwrap();
    std::os::unix::fs::symlink(".", looping.join("b")).unwrap();
    std::os::unix::fs::symlink(&host_dir, looping.join("volumes/h")).unwrap();
    let started = Instant::now();
    let (code, stdout, stderr) = run(f.safeops().args(["verify", looping.to_str().unwrap()]));
    assert_eq!(code, 4, "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(stderr.contains("a symlink"), "{stderr}");
    assert!(!stdout.contains("host-only-name") && !stderr.contains("host-only-name"));
    // An artifact replaced by a symlink to a host file of the same content is refused.
    let swapped = f.dir.path().join("swapped");
    copy_dir(&backup, &swapped);
    let list = std::fs::read_dir(swapped.join("volumes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".files.json"))
        .unwrap();
    let moved = f.dir.path().join("moved.files.json");
    std::fs::rename(&list, &moved).unwrap();
    std::os::unix::fs::symlink(&moved, &list).unwrap();
    let (code, _, stderr) = run(f.safeops().args(["verify", swapped.to_str().unwrap()]));
    assert_eq!(code, 4, "{stderr}");
    assert!(
        stderr.contains("not a regular file") || stderr.contains("symlink"),
        "{stderr}"
    );
}

/// Polls until `check` holds, for at most 30 s.
fn wait_for(what: &str, check: impl Fn() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn a_container_swapping_entries_for_host_symlinks_gets_no_host_data_into_its_backup() {
    let f = Fixture::new("swaprace");
    let swapper = compile_static("swapper", f.dir.path());
    let canary = f.dir.path().join("canary");
    std::fs::create_dir_all(canary.join("hostdir")).unwrap();
    let secret = format!("HOST-SECRET-{}", unique("s"));
    std::fs::write(canary.join("secret"), &secret).unwrap();
    std::fs::write(canary.join("hostdir/host-only-name"), &secret).unwrap();
    // The target container is replaced by one that races: 100 files and 100
    // directories, each swapped again and again with a symlink to the host canary.
    docker(&["rm", "-f", &f.container]);
    let pairs = 200;
    let setup = format!(
        "for i in $(seq 0 99); do echo volume-$i > /data/f$i; ln -s {secret_path} /data/l$i; done; \
         for i in $(seq 100 199); do mkdir /data/f$i; echo inner > /data/f$i/inner; ln -s {dir_path} /data/l$i; done; \
         touch /data/ready; exec /swapper /data {pairs} 200000",
        secret_path = canary.join("secret").display(),
        dir_path = canary.join("hostdir").display(),
    );
    docker(&[
        "run",
        "-d",
        "--name",
        &f.container,
        "--label",
        &format!("io.safeops.test={}", f.cleanup.label),
        "--label",
        "io.safeops.quiesce=false",
        "-v",
        &format!("{}:/data", f.volume),
        "-v",
        &format!("{}:/swapper:ro", swapper.display()),
        IMAGE,
        "sh",
        "-c",
        &setup,
    ]);
    wait_for("the racing container", || {
        mountpoint(&f.volume).join("ready").exists()
    });
    let secret_digest = sha256_hex(secret.as_bytes());
    for round in 0..4 {
        let (code, stdout, stderr) = run(f
            .safeops()
            .env("SAFEOPS_VOLUME_ACCESS", "direct")
            .args(["backup", &f.container, "--no-quiesce", "--format", "json"]));
        assert_eq!(code, 0, "round {round}: {stderr}");
        let out: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let backup = Path::new(out["path"].as_str().unwrap()).to_path_buf();
        let list_path = backup.join(format!("volumes/{}.files.json", f.volume));
        let list: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&list_path).unwrap()).unwrap();
        let entries = list["entries"].as_array().unwrap();
        assert!(
            entries.len() > pairs,
            "round {round}: {} entries",
            entries.len()
        );
        for entry in entries {
            assert_ne!(
                entry["sha256"].as_str(),
                Some(secret_digest.as_str()),
                "host file captured: {entry}"
            );
            let path = entry["path"].to_string();
            assert!(
                !path.contains("host-only-name"),
                "host directory captured: {entry}"
            );
        }
        let (code, _, stderr) = run(f.safeops().args(["verify", backup.to_str().unwrap()]));
        assert_eq!(code, 0, "round {round}: {stderr}");
    }
    assert_eq!(
        std::fs::read_to_string(canary.join("secret")).unwrap(),
        secret
    );
}

#[test]
fn a_writer_racing_the_staging_directory_cannot_redirect_a_restore_to_the_host() {
    let mut f = Fixture::new("stagerace");
    let stager = compile_static("stager", f.dir.path());
    f.exec(
        "for d in a b c d e; do mkdir -p /data/$d; \
         for i in $(seq 1 1000); do echo $i > /data/$d/f$i; done; done",
    );
    let backup = f.backup(&[]);
    // The host directory the racer points the staging directories at holds files of
    // the same names, so a restore that follows the symlink changes them (chmod, chown,
    // content) instead of failing at once.
    let canary = f.dir.path().join("canary");
    std::fs::create_dir(&canary).unwrap();
    use std::os::unix::fs::PermissionsExt;
    for i in 1..=1000 {
        let file = canary.join(format!("f{i}"));
        std::fs::write(&file, "untouched").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    // A writer restore does not know about: it bind-mounts the volume's directory.
    let racer = unique("stager");
    f.cleanup.containers.push(racer.clone());
    docker(&[
        "run",
        "-d",
        "--name",
        &racer,
        "-v",
        &format!("{}:/vol", mountpoint(&f.volume).display()),
        "-v",
        &format!("{}:/stager:ro", stager.display()),
        IMAGE,
        "/stager",
        "/vol",
        canary.to_str().unwrap(),
        "100000000",
    ]);
    let mut outcomes = Vec::new();
    for _ in 0..5 {
        let (code, _, stderr) = run(f.restoring(&backup).env("SAFEOPS_VOLUME_ACCESS", "direct"));
        outcomes.push((code, stderr));
    }
    docker(&["rm", "-f", &racer]);
    assert_eq!(
        std::fs::read_dir(&canary).unwrap().count(),
        1000,
        "{outcomes:?}"
    );
    for i in 1..=1000 {
        let file = canary.join(format!("f{i}"));
        let meta = std::fs::metadata(&file).unwrap();
        assert_eq!(
            meta.permissions().mode() & 0o777,
            0o600,
            "f{i} changed: {outcomes:?}"
        );
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "untouched",
            "{outcomes:?}"
        );
    }
    for (code, stderr) in &outcomes {
        assert!(*code == 0 || *code == 1, "{stderr}");
    }
}

#[test]
fn special_entries_are_listed_and_not_planted_in_another_volume() {
    let mut f = Fixture::new("special");
    f.exec(
        "mknod /data/null c 1 3 && mkfifo /data/fifo && echo x > /data/tool && \
         chmod 4755 /data/tool && echo plain > /data/plain",
    );
    let backup = f.backup(&[]);
    let backup_arg = backup.to_str().unwrap();
    let (code, stdout, stderr) = run(f.safeops().args(["verify", backup_arg]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("3 special entries"), "{stdout}");
    assert!(
        stdout.contains("null (device node)") && stdout.contains("tool (setuid)"),
        "{stdout}"
    );
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    // A manifest that names another volume as the source does not make it the source.
    let victim = unique("special-victim");
    f.cleanup_volume(&victim);
    docker(&["volume", "create", &victim]);
    let forged = f.dir.path().join("forged-name");
    copy_dir(&backup, &forged);
    forge_manifest(&forged, |m| {
        m["volumes"][0]["name"] = victim.as_str().into()
    });
    let (code, _, stderr) = run(f.safeops().env("SAFEOPS_VOLUME_ACCESS", "direct").args([
        "restore",
        forged.to_str().unwrap(),
        "--volume",
        &victim,
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("special entries left out"), "{stderr}");
    assert!(!mountpoint(&victim).join("fifo").exists());
    // A backup claiming the very volume, its name and creation time, that this host did
    // not make: they are left out.
    let claimed = f.dir.path().join("forged-same");
    copy_dir(&backup, &claimed);
    forge_manifest(&claimed, |m| m["created"] = "2020-01-01T00:00:00Z".into());
    let into_itself = |backup: &str| {
        run(f.safeops().env("SAFEOPS_VOLUME_ACCESS", "direct").args([
            "restore",
            backup,
            "--confirm",
            &f.volume,
            "-t",
            "1",
        ]))
    };
    let (code, _, stderr) = into_itself(claimed.to_str().unwrap());
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("this host has no record of making this backup"),
        "{stderr}"
    );
    assert!(!mountpoint(&f.volume).join("fifo").exists());
    // Into the very volume backed up, they are restored as they were, although the
    // restore above changed the creation time the engine gives the volume.
    let (code, _, stderr) = into_itself(backup_arg);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("special entries restored as they are"),
        "{stderr}"
    );
    for access in ["direct", "api"] {
        let plain = unique(&format!("special-plain-{access}"));
        let kept = unique(&format!("special-kept-{access}"));
        f.cleanup_volume(&plain);
        f.cleanup_volume(&kept);
        let restore = |into: &str, extra: &[&str]| {
            run(f
                .safeops()
                .env("SAFEOPS_VOLUME_ACCESS", access)
                .args([
                    "restore",
                    backup_arg,
                    "--volume",
                    &format!("{}:{into}", f.volume),
                ])
                .args(extra))
        };
        let (code, _, stderr) = restore(&plain, &[]);
        assert_eq!(code, 0, "{access}: {stderr}");
        assert!(
            stderr.contains("special entries left out"),
            "{access}: {stderr}"
        );
        let root = mountpoint(&plain);
        assert!(
            !root.join("null").exists() && !root.join("fifo").exists(),
            "{access}"
        );
        let mode = std::fs::metadata(root.join("tool"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o7777, 0o755, "{access}: setuid kept");
        assert_eq!(
            std::fs::read_to_string(root.join("plain")).unwrap(),
            "plain\n"
        );

        let (code, _, stderr) = restore(&kept, &["--preserve-special"]);
        assert_eq!(code, 0, "{access}: {stderr}");
        let root = mountpoint(&kept);
        let null = std::fs::symlink_metadata(root.join("null")).unwrap();
        assert!(null.file_type().is_char_device(), "{access}");
        assert!(
            std::fs::symlink_metadata(root.join("fifo"))
                .unwrap()
                .file_type()
                .is_fifo()
        );
        let mode = std::fs::metadata(root.join("tool"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o7777, 0o4755, "{access}");
    }
}

#[test]
fn hostile_project_labels_neither_escape_the_backup_directory_nor_forge_output() {
    require_engine();
    let mut cleanup = Cleanup::new();
    let dir = tempfile::tempdir().unwrap();
    let label = format!("io.safeops.test={}", cleanup.label);
    let escape = format!("{}/../../escape", unique("x"));
    let forged = format!("{}\n\u{1b}[31mforged", unique("evil"));
    for (i, project) in [&escape, &forged].iter().enumerate() {
        let name = unique(&format!("hostile{i}"));
        cleanup.containers.push(name.clone());
        docker(&[
            "run",
            "-d",
            "--name",
            &name,
            "--label",
            &label,
            "--label",
            &format!("com.docker.compose.project={project}"),
            "--label",
            "com.docker.compose.service=web",
            IMAGE,
            "sleep",
            "3600",
        ]);
    }
    let backups = dir.path().join("deep/backups");
    let (code, _, stderr) = run(safeops(dir.path())
        .env("SAFEOPS_BACKUP_DIR", &backups)
        .args(["backup", &escape]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not a valid Docker name"), "{stderr}");
    assert!(!dir.path().join("escape").exists() && !backups.exists());
    let (code, stdout, stderr) = run(safeops(dir.path()).args(["status", "--no-size"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stdout.contains('\u{1b}') && !stderr.contains('\u{1b}'),
        "raw escape printed"
    );
    assert!(stdout.contains("\\u{1b}[31mforged"), "{stdout}");
}

#[test]
fn a_forged_container_spec_in_a_backup_does_not_reach_the_host() {
    let mut f = Fixture::new("forgedspec");
    let backup = f.backup(&[]);
    let canary = f.dir.path().join("canary");
    std::fs::create_dir(&canary).unwrap();
    let spec_path = backup.join(format!("containers/{}.json", f.container));
    let mut spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&spec_path).unwrap()).unwrap();
    spec["HostConfig"]["Binds"] = serde_json::json!([format!("{}:/host", canary.display())]);
    spec["HostConfig"]["Privileged"] = true.into();
    spec["Config"]["Cmd"] = serde_json::json!(["sh", "-c", "echo owned > /host/owned; sleep 3600"]);
    std::fs::write(&spec_path, serde_json::to_vec(&spec).unwrap()).unwrap();
    docker(&["rm", "-f", &f.container]);
    f.cleanup.containers.push(f.container.clone());
    let backup_arg = backup.to_str().unwrap();
    let (code, _, stderr) = run(f
        .safeops()
        .args(["recreate", &f.container, "--from", backup_arg]));
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("bind mount") && stderr.contains("privileged"),
        "{stderr}"
    );
    let (code, _, stderr) = run(f.safeops().args([
        "recreate",
        &f.container,
        "--from",
        backup_arg,
        "--trust-spec",
    ]));
    assert_eq!(code, 3, "trusting still needs a confirmation: {stderr}");
    let (code, _, _) = run(std::process::Command::new("docker").args(["inspect", &f.container]));
    assert_ne!(code, 0, "no container was created");
    assert_eq!(std::fs::read_dir(&canary).unwrap().count(), 0);
}

#[test]
fn repeated_includes_of_one_file_do_not_multiply_its_lists() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    let volumes: Vec<String> = (0..100).map(|_| "\"1\"".to_string()).collect();
    std::fs::write(
        dir.path().join("f2.yaml"),
        format!(
            "services:\n  s:\n    image: {IMAGE}\n    volumes: [{}]\n",
            volumes.join(", ")
        ),
    )
    .unwrap();
    let includes = |file: &str| (0..40).map(|_| format!("  - {file}\n")).collect::<String>();
    std::fs::write(
        dir.path().join("f1.yaml"),
        format!("include:\n{}", includes("f2.yaml")),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        format!("include:\n{}", includes("f1.yaml")),
    )
    .unwrap();
    let (code, stderr, took) = status_with_builtin_loader(dir.path());
    assert!(code == 0 || code == 2, "exit {code}: {stderr}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn a_tree_deeper_than_path_max_backs_up_and_restores() {
    let mut f = Fixture::new("deeptree");
    let deep = compile_static("deep", f.dir.path());
    let tool = format!("{}:/deep:ro", deep.display());
    docker(&[
        "run",
        "--rm",
        "-v",
        &format!("{}:/data", f.volume),
        "-v",
        &tool,
        IMAGE,
        "/deep",
        "make",
        "/data",
        "30",
    ]);
    let backup = f.backup(&[]);
    let copy = unique("deeptree-copy");
    f.cleanup_volume(&copy);
    let (code, _, stderr) = run(f.safeops().env("SAFEOPS_VOLUME_ACCESS", "direct").args([
        "restore",
        backup.to_str().unwrap(),
        "--volume",
        &format!("{}:{copy}", f.volume),
    ]));
    assert_eq!(code, 0, "{stderr}");
    let found = docker(&[
        "run",
        "--rm",
        "-v",
        &format!("{copy}:/data"),
        "-v",
        &tool,
        IMAGE,
        "/deep",
        "read",
        "/data",
        "30",
    ]);
    assert_eq!(found.trim(), "bottom");
}
