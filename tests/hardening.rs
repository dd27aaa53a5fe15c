//! Concurrency, interruption and conventions against the real engine: locks between
//! operations on one volume, concurrent engine-API backups, Ctrl-C at awkward moments.

mod common;

use std::path::PathBuf;
use std::process::Stdio;

use common::fixture::*;
use common::*;

/// Complete backups in the fixture's backup directory, and leftovers (hidden entries).
fn backups_and_leftovers(f: &Fixture) -> (Vec<String>, Vec<String>) {
    f.backup_dir_entries()
        .into_iter()
        .partition(|n| !n.starts_with('.'))
}

#[test]
fn a_second_operation_on_a_volume_is_told_who_holds_it_or_waits() {
    let f = Fixture::new("locked");
    f.exec(MANY_FILES);
    let first = backup_in_flight(&f, &[]);
    // At once: refused with the holder named, nothing stopped or written by it.
    let (code, _, stderr) = run(f.safeops().args(["backup", &f.container, "-t", "1"]));
    assert_eq!(code, 5, "{stderr}");
    assert!(
        stderr.contains("is busy") && stderr.contains("(backup)"),
        "{stderr}"
    );
    assert!(stderr.contains("--wait-lock"), "{stderr}");
    // Waiting: it runs once the first is done.
    let (code, _, stderr) =
        run(f
            .safeops()
            .args(["backup", &f.container, "-t", "1", "--wait-lock", "120"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("waiting up to 120s"), "{stderr}");
    let out = first.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (complete, leftovers) = backups_and_leftovers(&f);
    assert_eq!(complete.len(), 2, "{complete:?}");
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(f.state(), "running");
}

#[test]
fn backups_of_two_volumes_one_container_mounts_do_not_run_at_once() {
    let first = Fixture::new("shareone");
    let second = Fixture::new("sharetwo");
    first.exec(MANY_FILES);
    // Each backup stops it: the first to finish would start it under the other.
    let shared = unique("shareboth");
    // Removed with the fixture dropped first, which then removes its volume.
    let label = format!("io.safeops.test={}", second.cleanup.label);
    docker(&[
        "run",
        "-d",
        "--name",
        &shared,
        "--label",
        &label,
        "-v",
        &format!("{}:/one", first.volume),
        "-v",
        &format!("{}:/two", second.volume),
        IMAGE,
        "sleep",
        "3600",
    ]);
    let state = |name: &str| docker(&["inspect", "-f", "{{.State.Status}}", name]);
    let running = backup_in_flight(&first, &[]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while state(&shared).trim() != "exited" {
        assert!(
            std::time::Instant::now() < deadline,
            "{shared} never stopped"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let (code, _, stderr) = run(second
        .safeops()
        .args(["backup", &second.container, "-t", "1"]));
    assert_eq!(code, 5, "{stderr}");
    // The first holds the second's volume too, and says why.
    let why = format!(
        "volume {} is busy: held by pid {} (backup; mounted by {shared}, which the backup stops)",
        second.volume,
        running.id()
    );
    assert!(stderr.contains(&why), "{stderr}");
    assert_eq!(second.state(), "running", "refused before anything stopped");
    // Waiting, it runs once the first is done, and stops the shared container itself.
    let (code, stdout, stderr) = run(second.safeops().args([
        "backup",
        &second.container,
        "-t",
        "1",
        "--wait-lock",
        "120",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let quiesced = report["quiesced"].as_array().unwrap();
    assert!(quiesced.contains(&shared.as_str().into()), "{report}");
    let out = running.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(state(&shared).trim(), "running");
    assert_eq!(first.state(), "running");
    assert_eq!(second.state(), "running");
}

#[test]
fn backups_of_one_target_started_together_all_complete_under_distinct_names() {
    let f = Fixture::new("sametime");
    f.exec("echo data > /data/file");
    common::all_succeed((0..3).map(|_| {
        let mut backup = f.safeops();
        backup.args(["backup", &f.container, "-t", "1", "--wait-lock", "120"]);
        backup
    }));
    let (complete, leftovers) = backups_and_leftovers(&f);
    assert_eq!(complete.len(), 3, "{complete:?}");
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn nine_concurrent_engine_api_backups_all_succeed() {
    let fixtures: Vec<Fixture> = (0..9).map(|_| Fixture::new("apiconc")).collect();
    for f in &fixtures {
        f.exec("echo data > /data/file");
    }
    let children: Vec<(PathBuf, std::process::Child)> = fixtures
        .iter()
        .map(|f| {
            let child = f
                .safeops()
                .env("SAFEOPS_VOLUME_ACCESS", "api")
                .args(["backup", &f.container, "-t", "1"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (f.backups(), child)
        })
        .collect();
    for (dir, child) in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Starts a backup with `-t 4` of the fixture, whose PID 1 (`sleep`) ignores SIGTERM so
/// the engine's stop takes the whole timeout, and returns once the stop was asked for.
fn backup_in_a_slow_stop(f: &Fixture) -> std::process::Child {
    let child = f
        .safeops()
        .args(["backup", &f.container, "-t", "4"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The journal records the stop before asking the engine for it.
    let journal = f.dir.path().join("state/docker-safeops/journal");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let recorded = std::fs::read_dir(&journal).into_iter().flatten().any(|e| {
            std::fs::read_to_string(e.unwrap().path()).is_ok_and(|t| t.contains(&f.container))
        });
        if recorded {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the backup never began stopping"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(f.state(), "running", "the stop should still be under way");
    child
}

/// Sends Ctrl-C to `child` and checks that it ends as interrupted (exit 130).
fn interrupted(child: std::process::Child) {
    signal(&child, "-INT");
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn ctrl_c_during_a_slow_stop_still_ends_with_the_container_running() {
    let f = Fixture::new("slowstop");
    f.exec("echo data > /data/file");
    interrupted(backup_in_a_slow_stop(&f));
    // Past the engine's stop timeout: a stop that landed after our start would show now.
    std::thread::sleep(std::time::Duration::from_secs(5));
    assert_eq!(f.state(), "running");
    let (complete, leftovers) = backups_and_leftovers(&f);
    assert!(
        complete.is_empty() && leftovers.is_empty(),
        "{complete:?} {leftovers:?}"
    );
}

#[test]
fn sigkill_during_a_slow_stop_is_recovered_after_the_stop_lands() {
    let f = Fixture::new("killstop");
    f.exec("echo data > /data/file");
    let child = backup_in_a_slow_stop(&f);
    signal(&child, "-KILL");
    let _ = child.wait_with_output().unwrap();
    // The next command recovers at once, while the engine is still stopping it.
    let (code, _, stderr) = run(f.safeops().args(["status", &f.container, "--no-size"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("recovered an interrupted `backup`"),
        "{stderr}"
    );
    std::thread::sleep(std::time::Duration::from_secs(5));
    assert_eq!(f.state(), "running");
}

/// The operation journals left in the state directory under `dir`.
fn journals_left(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("state/docker-safeops/journal"))
        .map(|entries| {
            entries
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .path()
                        .extension()
                        .is_some_and(|x| x == "json")
                })
                .count()
        })
        .unwrap_or(0)
}

/// `2>&1 | head -1`, a log reader that died: the messages after the stop find nobody
/// reading, and the backup goes on, starts the container again and succeeds.
#[test]
fn a_backup_whose_stderr_is_closed_still_finishes_and_starts_the_container_again() {
    let f = Fixture::new("closedstderr");
    f.exec("echo data > /data/file");
    let mut child = f
        .safeops()
        .args(["backup", &f.container, "-t", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(f.state(), "running");
    let (complete, leftovers) = backups_and_leftovers(&f);
    assert_eq!(complete.len(), 1, "{complete:?}");
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(
        journals_left(f.dir.path()),
        0,
        "an operation journal is left"
    );
}

/// A bug that panics while the containers are stopped (a test hook panics right after
/// the stop): before the process exits, they are started again, what another joins
/// first, and the partial backup removed, as the next command would have done.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "its failpoint is in debug builds only"
)]
fn a_panic_while_the_containers_are_stopped_still_starts_them_again() {
    let f = Fixture::new("panicstop");
    f.exec("echo data > /data/file");
    // Stopped first, it must start last: it runs in the fixture's network namespace.
    let joined = format!("{}-joined", f.container);
    f.run_joined(&joined, &["--network"]);
    let (code, _, stderr) = run(f.safeops().env("SAFEOPS_FAILPOINT_STOPPED", "panic").args([
        "backup",
        &f.container,
        "-t",
        "1",
    ]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("failed on a bug"), "{stderr}");
    assert!(
        stderr.contains(&format!("restarted {}", f.container)),
        "{stderr}"
    );
    assert_eq!(f.state(), "running");
    let joined_state = docker(&["inspect", "-f", "{{.State.Status}}", &joined]);
    assert_eq!(joined_state.trim(), "running", "{stderr}");
    let (complete, leftovers) = backups_and_leftovers(&f);
    assert!(
        complete.is_empty() && leftovers.is_empty(),
        "{complete:?} {leftovers:?}"
    );
    assert_eq!(
        journals_left(f.dir.path()),
        0,
        "an operation journal is left"
    );
}

#[test]
fn down_v_with_its_safety_backup_never_starts_a_container() {
    let (_cleanup, project, dir) = started_v2_project("onestop", "");
    let db = format!("{project}-db-1");
    docker(&["exec", &db, "sh", "-c", "echo payload > /data/file"]);
    let since = common::engine_time();
    let backups = dir.path().join("backups");
    let (code, stdout, stderr) = run(safeops(dir.path())
        .env("SAFEOPS_BACKUP_DIR", &backups)
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .args([
            "-p",
            &project,
            "down",
            "-v",
            "--confirm",
            &project,
            "-t",
            "1",
            "--format",
            "json",
        ]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("safety backup of"), "{stderr}");
    // --format json without --dry-run reports what was done.
    let report: serde_json::Value = serde_json::from_str(&stdout).expect(&stdout);
    assert_eq!(report["outcome"], "ok");
    assert!(report["safety_backup"].is_string(), "{report}");
    let until = common::engine_time();
    let events = |event: &str| common::container_events(&db, event, &since, &until);
    assert_eq!(events("start").trim(), "", "down -v started a container");
    let stops = events("stop");
    assert_eq!(stops.lines().count(), 1, "stopped more than once: {stops}");
    // Nothing is owed a start any more: the journal is closed.
    assert_eq!(journals_left(dir.path()), 0, "an operation journal is left");
}

/// The names at the root of `volume`.
fn root_names(volume: &str) -> std::collections::BTreeSet<String> {
    std::fs::read_dir(mountpoint(volume))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "its failpoint is in debug builds only"
)]
fn a_restore_killed_anywhere_in_its_switch_recovers_to_all_old_or_all_new() {
    let f = Fixture::new("killswitch");
    let files = 1000;
    let fill = |prefix: &str| {
        f.exec(&format!(
            "cd /data && rm -rf ./* && seq 1 {files} | sed 's/^/{prefix}-/' | xargs touch"
        ))
    };
    let set = |prefix: &str| -> std::collections::BTreeSet<String> {
        (1..=files).map(|i| format!("{prefix}-{i}")).collect()
    };
    fill("new");
    let backup = f.backup(&[]);
    // Renames 0..files-1 move the old entries aside, files..2*files-1 move the new up.
    for kill_at in [0, 1, files / 2, files - 1, files, files + 1, 2 * files - 1] {
        fill("old");
        let (code, _, stderr) = run(f
            .restoring(&backup)
            .env("SAFEOPS_VOLUME_ACCESS", "direct")
            .env("SAFEOPS_FAILPOINT_SWITCH", kill_at.to_string()));
        assert_eq!(code, -1, "kill at {kill_at}: not killed: {stderr}");
        // The next invocation of any verb recovers.
        let (code, _, stderr) = run(f.safeops().args(["status", &f.container, "--no-size"]));
        assert_eq!(code, 0, "kill at {kill_at}: {stderr}");
        assert!(
            stderr.contains("recovered an interrupted `restore`"),
            "{stderr}"
        );
        let expected = if kill_at < files {
            set("old")
        } else {
            set("new")
        };
        assert_eq!(
            root_names(&f.volume),
            expected,
            "kill at {kill_at}: {stderr}"
        );
        assert_eq!(f.state(), "running", "kill at {kill_at}");
    }
}

#[test]
fn policy_verbs_check_names_and_can_return_to_the_default_rule() {
    let f = Fixture::new("policy");
    let status_rule = || {
        let report =
            json(
                f.safeops()
                    .args(["status", &f.container, "--format", "json", "--no-size"]),
            );
        report["targets"][0]["volumes"][0]["protection_rule"].to_string()
    };
    f.exec("echo data > /data/file");
    let default_rule = status_rule();
    let missing = unique("no-such-volume");
    let (code, _, stderr) = run(f.safeops().args(["protect", &missing]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("no volume") && stderr.contains("--allow-missing"),
        "{stderr}"
    );
    let (code, _, stderr) = run(f.safeops().args(["protect", &missing, "--allow-missing"]));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(f.safeops().args(["unprotect", &f.volume]));
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(status_rule(), default_rule);
    let (code, stdout, stderr) = run(f.safeops().args(["unprotect", "--default", &f.volume]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("back to the default rules"), "{stdout}");
    assert_eq!(status_rule(), default_rule);
    // A project option after the verb is explained, not a clap riddle.
    let (code, _, stderr) = run(f.safeops().args(["status", "-p", "x"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("goes before the verb"), "{stderr}");
}

#[test]
fn output_into_a_closed_pipe_is_no_panic_and_an_unreachable_engine_says_why() {
    let f = Fixture::new("pipe");
    let backup = f.backup(&[]);
    let mut cmd = std::process::Command::new("bash");
    cmd.arg("-c")
        .arg(format!(
            "'{}' verify '{}' | true; echo \"exit=${{PIPESTATUS[0]}}\"",
            bin().display(),
            backup.display()
        ))
        .env("XDG_STATE_HOME", f.dir.path().join("state"));
    let (_, stdout, stderr) = run(&mut cmd);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stdout.contains("exit=101"), "{stdout}");
    let (code, _, stderr) = run(f.safeops().args(["-H", "tcp://127.0.0.1:1", "status"]));
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("Connection refused"), "{stderr}");
}

#[test]
fn audit_log_lines_name_the_target_and_say_refused() {
    let f = Fixture::new("auditlines");
    f.exec("echo data > /data/file");
    f.backup(&[]);
    docker(&["rm", "-f", &f.container]);
    let (code, _, stderr) = run(f.safeops().args(["volume", "rm", &f.volume]));
    assert_eq!(code, 3, "{stderr}");
    let (code, stdout, stderr) = run(f.safeops().args(["log"]));
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].ends_with(&format!("backup {}: ok", f.container)),
        "{stdout}"
    );
    assert!(
        lines[1].contains(&format!("volume rm {}: refused: ", f.volume)),
        "{stdout}"
    );
    assert!(!stdout.contains('{'), "raw JSON in the log table: {stdout}");
}

#[test]
fn a_backup_location_is_one_concept_for_every_verb() {
    let f = Fixture::new("location");
    f.exec("echo data > /data/file");
    let elsewhere = f.dir.path().join("elsewhere");
    let to = elsewhere.to_str().unwrap();
    let out = json(f.safeops().args([
        "backup",
        &f.container,
        "-t",
        "1",
        "--to",
        to,
        "--format",
        "json",
    ]));
    let id = std::path::Path::new(out["path"].as_str().unwrap())
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let listed = json(
        f.safeops()
            .args(["backups", "--to", to, "--format", "json"]),
    );
    assert_eq!(listed[0]["id"], id.as_str(), "{listed}");
    // The id works wherever a backup is read, with the same --to.
    let (code, _, stderr) = run(f.safeops().args(["verify", &id, "--to", to]));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(f.safeops().args(["verify", &id]));
    assert_eq!(code, 2, "not in the default location: {stderr}");
    let status = json(f.safeops().args([
        "status",
        &f.container,
        "--to",
        to,
        "--format",
        "json",
        "--no-size",
    ]));
    assert_ne!(
        status["targets"][0]["volumes"][0]["last_backup"],
        serde_json::Value::Null,
        "{status}"
    );
    // The plan of a removal (of a volume no container mounts: one in use is refused).
    docker(&["rm", "-f", &f.container]);
    let plan = json(f.safeops().args([
        "volume",
        "rm",
        &f.volume,
        "--dry-run",
        "--format",
        "json",
        "--to",
        to,
    ]));
    assert_ne!(
        plan["volumes"][0]["last_backup"],
        serde_json::Value::Null,
        "{plan}"
    );
    let (code, _, stderr) = run(f.safeops().args([
        "restore",
        &id,
        "--to",
        to,
        "--confirm",
        &f.volume,
        "-t",
        "1",
    ]));
    assert_eq!(code, 0, "{stderr}");
    // The policy file's [backup] to is the default when nothing else says.
    let policy = f.dir.path().join(".xdg-config/docker-safeops/policy.toml");
    std::fs::create_dir_all(policy.parent().unwrap()).unwrap();
    std::fs::write(&policy, format!("[backup]\nto = {to:?}\n")).unwrap();
    let (code, _, stderr) = run(f
        .safeops()
        .env_remove("SAFEOPS_BACKUP_DIR")
        .args(["verify", &id]));
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn shell_integration_routes_every_spelling_docker_accepts() {
    let (_cleanup, project, dir) = started_v2_project("spellings", "");
    docker(&[
        "exec",
        &format!("{project}-db-1"),
        "sh",
        "-c",
        "echo payload > /data/file",
    ]);
    let volume = format!("{project}_data");
    let anonymous_owner = unique("anon");
    let mut cleanup = Cleanup::new();
    cleanup.containers.push(anonymous_owner.clone());
    docker(&[
        "run",
        "-d",
        "--name",
        &anonymous_owner,
        // Anonymous volumes are not protected by default: this one says it is.
        "--mount",
        "type=volume,dst=/data,volume-label=io.safeops.protect=true",
        IMAGE,
        "sh",
        "-c",
        "echo payload > /data/file; sleep 3600",
    ]);
    let config = docker_config_with_plugin(dir.path());
    let (code, functions, _) = run(std::process::Command::new(bin()).args(["shell-init", "bash"]));
    assert_eq!(code, 0);
    let init = dir.path().join("init.bash");
    std::fs::write(&init, functions).unwrap();
    // A script, not a terminal: guarded commands refuse (3) unless confirmed.
    let bash = |line: &str| {
        run(std::process::Command::new("timeout")
            .args(["60", "bash", "-c"])
            .arg(format!("source {}; {line}", init.display()))
            .current_dir(dir.path())
            .env("DOCKER_CONFIG", &config)
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .env("XDG_CONFIG_HOME", dir.path().join(".xdg-config"))
            .env_remove("DOCKER_HOST"))
    };
    // Removing the volume the project's container mounts is refused by safeops at once
    // (the engine would refuse it); the others wait for a confirmation.
    let in_use = (1, "the engine would refuse");
    let unconfirmed = (3, "--confirm");
    for (line, (expected, says)) in [
        (format!("docker volume remove {volume}"), in_use),
        (
            format!("docker --context default volume rm {volume}"),
            in_use,
        ),
        (
            format!("docker -H=unix:///var/run/docker.sock volume rm {volume}"),
            in_use,
        ),
        // Docker reads `-Dc default` as debug and the context `default`.
        (format!("docker -Dc default volume rm {volume}"), in_use),
        (
            format!("docker container rm -f -v {anonymous_owner}"),
            unconfirmed,
        ),
        (format!("docker rm -vf {anonymous_owner}"), unconfirmed),
        (
            format!("docker compose --ansi never --progress plain -p {project} down -v"),
            unconfirmed,
        ),
        (
            format!("docker --context default compose -p {project} --parallel 2 down -v -t 0"),
            unconfirmed,
        ),
    ] {
        let (code, stdout, stderr) = bash(&line);
        assert_eq!(code, expected, "{line}: {stdout}{stderr}");
        assert!(stderr.contains(says), "{line}: {stderr}");
    }
    // An option safeops does not know before `down` (compose's hidden --workdir) is
    // safeops' usage error, not a pass to compose; `compose rm -v` is refused outright.
    let (code, _, stderr) = bash(&format!(
        "docker compose --workdir {} -p {project} down -v",
        dir.path().display()
    ));
    assert_eq!(code, 2, "{stderr}");
    // An option without its value is docker's or compose's to refuse, at once (the
    // wrapper looped for ever).
    for line in ["docker --context", "docker compose -p", "docker-compose -f"] {
        let (code, _, stderr) = bash(line);
        assert_ne!(code, 124, "{line}: {stderr}");
        assert!(stderr.contains("argument"), "{line}: {stderr}");
    }
    let (code, _, stderr) = bash(&format!("docker compose -p {project} rm -fsv"));
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("without any guard"), "{stderr}");
    let (code, stdout, stderr) = bash(&format!("docker compose --ansi never -p {project} ps -q"));
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.trim().is_empty(), "passes through: {stdout}");
    docker(&["volume", "inspect", &volume]);
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &anonymous_owner]).trim(),
        "true"
    );
}

#[test]
fn help_is_short_and_named_as_invoked() {
    let (code, stdout, _) = run(std::process::Command::new(bin()).args(["status", "--help"]));
    assert_eq!(code, 0);
    assert!(
        !stdout.contains("--tlskey"),
        "Docker's globals repeated: {stdout}"
    );
    assert!(stdout.contains("Usage: docker-safeops status"), "{stdout}");
    let (code, stdout, _) =
        run(std::process::Command::new(bin()).args(["safeops", "status", "--help"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("Usage: docker safeops status"), "{stdout}");
    let (_, stdout, _) = run(std::process::Command::new(bin()).arg("--help"));
    assert!(
        stdout.contains("--context"),
        "the top level names them: {stdout}"
    );
}

/// Compose writes its progress through us when our stderr is no terminal: a reader
/// that went away does not kill it with SIGPIPE in the middle of a restart.
#[test]
fn compose_finishes_its_restart_when_our_stderr_is_closed() {
    let (_cleanup, project, dir) = started_v2_project("closedcompose", "");
    let db = format!("{project}-db-1");
    let started = docker(&["inspect", "-f", "{{.State.StartedAt}}", &db]);
    let mut child = safeops(dir.path())
        .args(["-p", &project, "restart", "-t", "0", "--stable-for", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert_ne!(
        docker(&["inspect", "-f", "{{.State.StartedAt}}", &db]),
        started
    );
    let state = docker(&["inspect", "-f", "{{.State.Status}}", &db]);
    assert_eq!(state.trim(), "running");
}

/// Ctrl-C while compose restarts a service whose stop is slow: all of compose stops
/// with the verb. Killing the Docker CLI is enough: the compose plugin it runs ends
/// when the CLI's plugin socket closes.
#[test]
fn ctrl_c_stops_all_of_compose_not_only_the_docker_cli() {
    let (_cleanup, project, dir) = started_v2_project("ctrlcompose", "");
    let child = safeops(dir.path())
        .args(["-p", &project, "restart", "-t", "30"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let compose_running = || {
        let found = std::process::Command::new("pgrep")
            .args(["-f", &format!("compose.*{project}")])
            .output()
            .unwrap();
        !found.stdout.is_empty()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !compose_running() {
        assert!(std::time::Instant::now() < deadline, "compose never ran");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_secs(1));
    interrupted(child);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(!compose_running(), "compose goes on without the verb");
}

#[test]
fn restart_in_a_project_directory_also_takes_a_container_name() {
    let (_cleanup, project, dir) = started_v2_project("restartname", "");
    let mut cleanup = Cleanup::new();
    let solo = unique("solo");
    cleanup.containers.push(solo.clone());
    docker(&["run", "-d", "--name", &solo, IMAGE, "sleep", "3600"]);
    let started = docker(&["inspect", "-f", "{{.State.StartedAt}}", &solo]);
    let (code, _, stderr) = run(safeops(dir.path()).args([
        "-p",
        &project,
        "restart",
        &solo,
        "-t",
        "0",
        "--stable-for",
        "1",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(
        docker(&["inspect", "-f", "{{.State.StartedAt}}", &solo]),
        started
    );
    let (code, _, stderr) = run(safeops(dir.path()).args(["-p", &project, "restart", "nosuch"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("no such service in project") && stderr.contains("no such container"),
        "{stderr}"
    );
}

#[test]
fn backups_shows_a_failed_verification_instead_of_complete() {
    let f = Fixture::new("corrupt");
    f.exec("head -c 100000 /dev/urandom > /data/blob");
    let backup = f.backup(&[]);
    let archive = backup.join(format!("volumes/{}.tar.zst", f.volume));
    let mut bytes = std::fs::read(&archive).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(&archive, bytes).unwrap();
    let (code, _, _) = run(f.safeops().args(["verify", backup.to_str().unwrap()]));
    assert_eq!(code, 4);
    let listed = json(f.safeops().args(["backups", "--format", "json"]));
    let status = listed[0]["status"].as_str().unwrap();
    assert!(status.starts_with("verify failed"), "{status}");
    assert_eq!(listed[0]["sound"], false);
}

/// An image whose `/bin/sh` waits 3 s before it runs anything: an engine-API restore's
/// switch, run with it, takes that long.
fn slow_shell_image() -> &'static str {
    const SLOW: &str = "safeops-test/slow-sh:latest";
    let maker = unique("slowsh");
    docker(&[
        "run",
        "--name",
        &maker,
        IMAGE,
        "sh",
        "-c",
        "rm /bin/sh && printf '#!/bin/busybox sh\\nsleep 3\\nexec /bin/busybox sh \"$@\"\\n' \
         > /bin/sh && chmod 755 /bin/sh",
    ]);
    docker(&["commit", &maker, SLOW]);
    docker(&["rm", "-v", &maker]);
    SLOW
}

/// Starts a restore of `f`'s volume through the engine (old content: `file`, `dir/x`;
/// new: `file`) whose switch runs with [`slow_shell_image`], and returns once the switch
/// helper exists, with the filter that finds the restore's helpers. Its stdout and
/// stderr are piped, and it runs in the test's directory (a core dump, where the system
/// keeps one, lands with the test's files).
fn restore_in_an_engine_api_switch(f: &Fixture) -> (std::process::Child, String) {
    f.exec("echo old > /data/file && mkdir /data/dir && echo x > /data/dir/x");
    let backup = f.backup(&[]);
    f.exec("echo new > /data/file && rm -r /data/dir");
    let child = f
        .restoring(&backup)
        .env("SAFEOPS_VOLUME_ACCESS", "api")
        .env("SAFEOPS_HELPER_IMAGE", slow_shell_image())
        .current_dir(f.dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The switch runs in a helper container of the restore's, a shell script (its
    // aside is built as `.partial`; the preflight before it has none).
    let helpers = format!("label=io.safeops.helper.pid={}", child.id());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !docker(&[
        "ps",
        "--no-trunc",
        "--filter",
        &helpers,
        "--format",
        "{{.Command}}",
    ])
    .contains(".partial")
    {
        assert!(std::time::Instant::now() < deadline, "no switch seen");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    (child, helpers)
}

#[test]
fn ctrl_c_during_an_engine_api_switch_waits_for_it_before_anything_starts() {
    let f = Fixture::new("apiswitch");
    let (child, helpers) = restore_in_an_engine_api_switch(&f);
    signal(&child, "-INT");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("waiting for the files being switched into place"),
        "{stderr}"
    );
    assert!(
        stderr.contains("after the restore was complete"),
        "{stderr}"
    );
    assert_eq!(
        docker(&["ps", "-a", "-q", "--filter", &helpers]).trim(),
        "",
        "a helper outlived the restore"
    );
    assert_eq!(f.state(), "running");
    assert_eq!(
        docker(&["exec", &f.container, "cat", "/data/file", "/data/dir/x"]),
        "old\nx\n"
    );
}

#[test]
fn sigquit_while_ctrl_c_waits_for_a_switch_leaves_it_to_the_next_command() {
    let f = Fixture::new("quitswitch");
    let (child, helpers) = restore_in_an_engine_api_switch(&f);
    signal(&child, "-INT");
    std::thread::sleep(std::time::Duration::from_millis(500));
    signal(&child, "-QUIT");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Ctrl-\\ quits at once"), "{stderr}");
    assert_eq!(out.status.code(), None, "{stderr}");
    // The next command, whatever it is, settles what the dead restore left.
    let (code, _, stderr) = run(f.safeops().args(["status"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        docker(&["ps", "-a", "-q", "--filter", &helpers]).trim(),
        "",
        "a helper outlived the restore"
    );
    assert_eq!(f.state(), "running", "{stderr}");
    let content = docker(&[
        "exec",
        &f.container,
        "sh",
        "-c",
        "cat /data/file; cat /data/dir/x 2>/dev/null; ls -a /data",
    ]);
    // The staged files were checked before the switch began: it is finished.
    assert_eq!(content, "old\nx\n.\n..\ndir\nfile\n", "{stderr}");
    assert!(
        stderr.contains("finished switching the restored files into place"),
        "{stderr}"
    );
}

#[test]
fn a_restore_through_the_engine_whose_image_has_no_shell_changes_nothing_and_restarts() {
    let f = Fixture::new("noshell");
    f.exec("echo old > /data/file");
    let backup = f.backup(&[]);
    f.exec("echo new > /data/file");
    // The only container that uses the volume runs an image without /bin/sh.
    const NO_SHELL: &str = "safeops-test/no-sh:latest";
    let maker = unique("nosh");
    docker(&["run", "--name", &maker, IMAGE, "rm", "/bin/sh"]);
    docker(&["commit", &maker, NO_SHELL]);
    docker(&["rm", "-v", &maker]);
    docker(&["rm", "-f", &f.container]);
    let app = unique("noshapp");
    let label = format!("io.safeops.test={}", f.cleanup.label);
    let volume = format!("{}:/data", f.volume);
    docker(&[
        "run", "-d", "--name", &app, "--label", &label, "-v", &volume, NO_SHELL, "sleep", "3600",
    ]);
    let (code, _, stderr) = run(f.restoring(&backup).env("SAFEOPS_VOLUME_ACCESS", "api"));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("SAFEOPS_HELPER_IMAGE"), "{stderr}");
    let state = docker(&["inspect", "-f", "{{.State.Status}}", &app]);
    assert_eq!(state.trim(), "running", "{stderr}");
    let root = mountpoint(&f.volume);
    assert_eq!(std::fs::read_to_string(root.join("file")).unwrap(), "new\n");
    let names: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["file"], "{stderr}");
}

/// A fixture (old content: `file` and [`MANY_FILES`]; new: `file`) and a restore of it
/// through the engine just started (stdout and stderr piped), with the directory it
/// stages into.
fn restore_staging_through_the_engine(prefix: &str) -> (Fixture, std::process::Child, PathBuf) {
    let f = Fixture::new(prefix);
    f.exec(&format!("echo old > /data/file && {MANY_FILES}"));
    let backup = f.backup(&[]);
    f.exec("echo new > /data/file");
    let child = f
        .restoring(&backup)
        .env("SAFEOPS_VOLUME_ACCESS", "api")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let staging = mountpoint(&f.volume).join(format!(".safeops-restore-{}", child.id()));
    (f, child, staging)
}

#[test]
fn ctrl_c_while_a_restore_stages_through_the_engine_leaves_no_staged_files() {
    let (f, mut child, staging) = restore_staging_through_the_engine("intstage");
    let root = mountpoint(&f.volume);
    signal_when(&mut child, "-INT", "nothing was staged", || {
        staging.join("many").exists()
    });
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert_eq!(f.state(), "running");
    assert_eq!(std::fs::read_to_string(root.join("file")).unwrap(), "new\n");
    assert!(!staging.exists(), "the staged files stay: {stderr}");
}

/// Sends `sig` to `child` as soon as `ready`, which it must reach within a minute
/// (`never` says what did not happen).
fn signal_when(
    child: &mut std::process::Child,
    sig: &str,
    never: &str,
    mut ready: impl FnMut() -> bool,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !ready() {
        assert!(child.try_wait().unwrap().is_none(), "it ended first");
        assert!(std::time::Instant::now() < deadline, "{never}");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    signal(child, sig);
}

/// Kills `child` with SIGKILL as soon as `ready` (see [`signal_when`]) and waits for it.
fn kill_once(child: &mut std::process::Child, never: &str, ready: impl FnMut() -> bool) {
    signal_when(child, "-KILL", never, ready);
    child.wait().unwrap();
}

#[test]
fn a_restore_through_the_engine_killed_while_staging_leaves_the_volume_as_it_was() {
    let (f, mut child, staging) = restore_staging_through_the_engine("killstage");
    kill_once(&mut child, "nothing was staged", || {
        staging.join("many").exists()
    });
    assert_eq!(f.state(), "exited", "the restore had stopped the container");
    // Commands of other users (other state directories) remove the dead process's
    // helper at the same moment: the one whose journal it is must still finish.
    let elsewhere = tempfile::tempdir().unwrap();
    let others: Vec<_> = (0..2)
        .map(|_| {
            common::safeops(elsewhere.path())
                .arg("status")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let (code, _, stderr) = run(f.safeops().args(["status"]));
    for mut other in others {
        other.wait().unwrap();
    }
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("removed the files it had staged"),
        "{stderr}"
    );
    assert_eq!(f.state(), "running");
    assert_eq!(
        docker(&[
            "exec",
            &f.container,
            "sh",
            "-c",
            "cat /data/file; ls -a /data"
        ]),
        "new\n.\n..\nblob\nfile\nmany\n"
    );
}

#[test]
fn a_directory_a_restore_cannot_remove_is_left_to_the_next_command_not_forgotten() {
    /// Takes the immutable flag off everything in a volume when the test ends.
    struct Mutable(PathBuf);
    impl Drop for Mutable {
        fn drop(&mut self) {
            let _ = std::process::Command::new("chattr")
                .args(["-R", "-i"])
                .arg(&self.0)
                .status();
        }
    }
    let f = Fixture::new("owed");
    f.exec("echo backed-up > /data/file");
    let backup = f.backup(&[]);
    // Moved aside with the old content, this file cannot be deleted with it.
    f.exec("mkdir /data/sub && echo new > /data/sub/stuck");
    let root = mountpoint(&f.volume);
    let _mutable = Mutable(root.clone());
    let chattr = |flag: &str, path: &std::path::Path| {
        let status = std::process::Command::new("chattr")
            .arg(flag)
            .arg(path)
            .status()
            .expect("these tests need chattr (e2fsprogs)");
        assert!(status.success());
    };
    chattr("+i", &root.join("sub/stuck"));
    let restore = || run(&mut f.restoring(&backup));
    let (code, _, stderr) = restore();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("could not be removed yet"), "{stderr}");
    let ours = || -> Vec<PathBuf> {
        std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(".safeops-")
            })
            .collect()
    };
    let left = ours();
    assert_eq!(left.len(), 1, "{left:?}");
    chattr("-i", &left[0].join("sub/stuck"));
    // The next command removes it, and a restore into the volume works again.
    let (code, _, stderr) = restore();
    assert_eq!(code, 0, "{stderr}");
    assert!(ours().is_empty(), "{:?}", ours());
    assert_eq!(
        docker(&["exec", &f.container, "cat", "/data/file"]),
        "backed-up\n"
    );
}

/// A fixture whose volume holds 200 MB, its backup, and the name of a volume to restore
/// it into (removed with the fixture).
fn big_backup_and_a_copy_name(prefix: &str) -> (Fixture, PathBuf, String) {
    let mut f = Fixture::new(prefix);
    f.exec("dd if=/dev/urandom of=/data/big bs=1M count=200 2>/dev/null");
    let backup = f.backup(&[]);
    let copy = format!("{}-copy", f.volume);
    f.cleanup_volume(&copy);
    (f, backup, copy)
}

/// A restore of `backup` into the new volume `copy`, its stderr piped.
fn restore_into_a_new_volume(
    f: &Fixture,
    backup: &std::path::Path,
    copy: &str,
) -> std::process::Command {
    let mut restore = f.safeops();
    restore
        .args(["restore", backup.to_str().unwrap(), "--volume"])
        .arg(format!("{}:{copy}", f.volume))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    restore
}

/// A container an interrupted backup left stopped is not started by some other
/// command's recovery while another operation holds its volume (a backup that found it
/// stopped reads the volume as quiesced): it is started once that lock is free.
#[test]
fn recovery_does_not_start_a_container_under_a_live_operation_on_its_volume() {
    let mut f = Fixture::new("rcvlock");
    f.exec(MANY_FILES);
    let other = format!("{}-other", f.container);
    f.cleanup.containers.push(other.clone());
    let mount = format!("{}:/also", f.volume);
    docker(&[
        "run", "-d", "--name", &other, "-v", &mount, IMAGE, "sleep", "3600",
    ]);
    let state = |name: &str| docker(&["inspect", "-f", "{{.State.Status}}", name]);
    // A backup killed with both stopped: its journal owes their restart.
    let mut killed = backup_in_flight(&f, &[]);
    kill_once(&mut killed, "the other container never stopped", || {
        state(&other).trim() == "exited"
    });
    // Another operation holds the volume's lock (as a live backup would).
    let holder = std::fs::File::open(volume_lock_file(&f.volume)).unwrap();
    holder.lock().unwrap();
    let stderr = status_notes(&f);
    assert!(stderr.contains("could not restart"), "{stderr}");
    assert!(stderr.contains("is busy"), "{stderr}");
    assert_eq!(state(&other).trim(), "exited", "started under the lock");
    drop(holder);
    let stderr = status_notes(&f);
    assert!(stderr.contains("restarted"), "{stderr}");
    assert_eq!(state(&other).trim(), "running");
}

/// Stopping, starting, recreating or removing a container while another operation
/// holds its volume (a backup that stopped it and reads the volume as quiesced) would
/// break that operation: each refuses at once (exit 5) naming it, or waits with
/// `--wait-lock`.
#[test]
fn lifecycle_verbs_and_recreate_wait_for_an_operation_on_the_volume() {
    let f = Fixture::new("lcylock");
    f.backup(&[]);
    let holder = std::fs::File::open(volume_lock_file(&f.volume)).unwrap();
    holder.lock().unwrap();
    let id = docker(&["inspect", "-f", "{{.Id}}", &f.container]);
    for verb in ["stop", "restart", "recreate"] {
        let (code, _, stderr) = run(f.safeops().args([verb, &f.container]));
        assert_eq!(code, 5, "{verb}: {stderr}");
        assert!(
            stderr.contains(&format!("volume {} is busy", f.volume)),
            "{verb}: {stderr}"
        );
        assert_eq!(f.state(), "running", "{verb}");
    }
    assert_eq!(docker(&["inspect", "-f", "{{.Id}}", &f.container]), id);
    // Nor is it removed, although no protected volume is at risk.
    let (code, _, stderr) = run(f.safeops().args(["rm", "-f", &f.container]));
    assert_eq!(code, 5, "rm: {stderr}");
    assert!(stderr.contains("is busy"), "rm: {stderr}");
    assert_eq!(docker(&["inspect", "-f", "{{.Id}}", &f.container]), id);
    let mut waiting = f.safeops();
    waiting
        .args([
            "restart",
            &f.container,
            "--wait-lock",
            "60",
            "--stable-for",
            "1",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut waiting = waiting.spawn().unwrap();
    let started = docker(&["inspect", "-f", "{{.State.StartedAt}}", &f.container]);
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(waiting.try_wait().unwrap().is_none(), "it did not wait");
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.StartedAt}}", &f.container]),
        started,
        "restarted under the lock"
    );
    drop(holder);
    let out = waiting.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("waiting up to 60s"), "{stderr}");
    assert_ne!(
        docker(&["inspect", "-f", "{{.State.StartedAt}}", &f.container]),
        started
    );
}

/// The lock file of `volume` on the default engine (a backup of it made it).
fn volume_lock_file(volume: &str) -> PathBuf {
    let prefix = format!("volume-{volume}-");
    ["/run/lock/docker-safeops"]
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .find(|path| {
            path.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
        })
        .unwrap_or_else(|| panic!("no lock file of {volume}"))
}

/// Kills (SIGKILL) a restore of `backup` into the new volume `copy` once it has written
/// into it.
fn kill_a_restore_into_a_new_volume(f: &Fixture, backup: &std::path::Path, copy: &str) {
    let mut child = restore_into_a_new_volume(f, backup, copy).spawn().unwrap();
    let mut root = None;
    kill_once(&mut child, "nothing written into a new volume", || {
        if root.is_none() && !volumes_named(copy).trim().is_empty() {
            root = Some(mountpoint(copy));
        }
        root.as_ref()
            .is_some_and(|r| std::fs::read_dir(r).map_or(0, |d| d.count()) > 0)
    });
}

/// What `status` (any command) says settling what interrupted operations left; it
/// must succeed.
fn status_notes(f: &Fixture) -> String {
    let (code, _, stderr) = run(f.safeops().args(["status"]));
    assert_eq!(code, 0, "{stderr}");
    stderr
}

/// `docker volume ls -q` of the volumes whose names contain `name`.
fn volumes_named(name: &str) -> String {
    docker(&["volume", "ls", "-q", "--filter", &format!("name={name}")])
}

#[test]
fn a_new_volume_a_killed_restore_did_not_fill_is_removed_by_the_next_command() {
    let (f, backup, copy) = big_backup_and_a_copy_name("killnew");
    kill_a_restore_into_a_new_volume(&f, &backup, &copy);
    let listed = || volumes_named(&copy);
    let stderr = status_notes(&f);
    assert!(
        stderr.contains(&format!(
            "volume {copy}, which it had created: removed, not filled to the end"
        )),
        "{stderr}"
    );
    assert!(listed().trim().is_empty(), "the half-filled volume stays");
}

/// Recovery removes only the volume the killed restore created: one made again under
/// its name since (removed by hand, then `compose up`) is someone's data, left alone.
#[test]
fn a_volume_made_again_under_the_name_a_killed_restore_used_is_left_alone() {
    let (f, backup, copy) = big_backup_and_a_copy_name("remade");
    kill_a_restore_into_a_new_volume(&f, &backup, &copy);
    docker(&["volume", "rm", &copy]);
    docker(&["volume", "create", &copy]);
    let stderr = status_notes(&f);
    assert!(
        stderr.contains(&format!(
            "volume {copy}, which it had created: made again since under its name: left alone"
        )),
        "{stderr}"
    );
    assert_eq!(volumes_named(&copy).trim(), copy);
}

/// A volume a killed restore left half-filled, on which a container was started before
/// the next safeops command, is neither removed (what the container wrote may matter)
/// nor backed up: the backup refuses (exit 5) before it stops anything and names the
/// journal to remove to keep the volume as it is. It stays so once the container is
/// gone, until the user removes the volume.
#[test]
fn a_volume_a_killed_restore_left_unsettled_is_not_backed_up() {
    let (mut f, backup, copy) = big_backup_and_a_copy_name("unsettled");
    kill_a_restore_into_a_new_volume(&f, &backup, &copy);
    let user = format!("{copy}-user");
    f.cleanup.containers.push(user.clone());
    let mount = format!("{copy}:/data");
    docker(&[
        "run", "-d", "--name", &user, "-v", &mount, IMAGE, "sleep", "3600",
    ]);
    let backups_before = std::fs::read_dir(f.backups()).unwrap().count();
    let (code, _, stderr) = run(f.safeops().args(["backup", &user, "-t", "1"]));
    assert_eq!(code, 5, "{stderr}");
    assert!(
        stderr.contains(&format!("volume {copy} is left half-done")),
        "{stderr}"
    );
    assert!(stderr.contains("leaves it to you"), "{stderr}");
    let journals = f.dir.path().join("state/docker-safeops/journal");
    assert!(
        stderr.contains(&format!("remove {}/", journals.display())),
        "{stderr}"
    );
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &user]).trim(),
        "true"
    );
    assert_eq!(
        std::fs::read_dir(f.backups()).unwrap().count(),
        backups_before
    );
    // Nor restarted or recreated by safeops on it.
    let (code, _, stderr) = run(f.safeops().args(["restart", &user]));
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("the restart would work on it"), "{stderr}");
    let id = docker(&["inspect", "-f", "{{.Id}}", &user]);
    let (code, _, stderr) = run(f.safeops().args(["recreate", &user]));
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("the recreate would work on it"), "{stderr}");
    assert_eq!(docker(&["inspect", "-f", "{{.Id}}", &user]), id);
    docker(&["rm", "-f", &user]);
    let stderr = status_notes(&f);
    assert!(stderr.contains("leaves it to you"), "{stderr}");
    assert_eq!(volumes_named(&copy).trim(), copy, "kept for the user");
    // Removed through the guard (what the shell functions make of `docker volume rm`),
    // protected: its safety backup keeps what the volume holds, then it goes.
    let (code, _, stderr) = run(f.safeops().args(["protect", &copy]));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(f
        .safeops()
        .args(["volume", "rm", &copy, "--confirm", &copy]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("undo with"), "a safety backup: {stderr}");
    let stderr = status_notes(&f);
    assert!(
        stderr.contains(&format!(
            "volume {copy}, which it had created: gone already"
        )),
        "{stderr}"
    );
    let stderr = status_notes(&f);
    assert!(!stderr.contains(&copy), "settled for good: {stderr}");
}

/// Ctrl-C while a restore fills a new volume on which a container was started: the
/// restore cannot remove it, and leaves it to the next command, which does not back it
/// up (it used to forget it once the restore had closed its journal).
#[test]
fn ctrl_c_while_a_restore_fills_a_volume_a_container_took_leaves_it_to_the_next_command() {
    // Many files too: the restore must still run once a container has taken the volume.
    let mut f = Fixture::new("intused");
    f.exec(MANY_FILES);
    f.exec("dd if=/dev/urandom of=/data/big bs=1M count=200 2>/dev/null");
    let backup = f.backup(&[]);
    let copy = format!("{}-copy", f.volume);
    f.cleanup_volume(&copy);
    let user = format!("{copy}-user");
    f.cleanup.containers.push(user.clone());
    let mut child = restore_into_a_new_volume(&f, &backup, &copy)
        .spawn()
        .unwrap();
    let mount = format!("{copy}:/data");
    let mut taken = false;
    signal_when(&mut child, "-INT", "no new volume seen", || {
        if !taken && !volumes_named(&copy).trim().is_empty() {
            docker(&[
                "run", "-d", "--name", &user, "-v", &mount, IMAGE, "sleep", "3600",
            ]);
            taken = true;
        }
        taken
    });
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("the next safeops command tries again"),
        "{stderr}"
    );
    let (code, _, stderr) = run(f.safeops().args(["backup", &user, "-t", "1"]));
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("leaves it to you"), "{stderr}");
    assert!(
        stderr.contains(&format!("volume {copy} is left half-done")),
        "{stderr}"
    );
}

#[test]
fn ctrl_c_while_the_engine_fills_a_new_volume_removes_it() {
    let (f, backup, copy) = big_backup_and_a_copy_name("apinew");
    let mut child = restore_into_a_new_volume(&f, &backup, &copy)
        .env("SAFEOPS_VOLUME_ACCESS", "api")
        .spawn()
        .unwrap();
    // The helper that fills the new volume.
    let helpers = format!("label=io.safeops.helper.pid={}", child.id());
    let filling = format!("volume={copy}");
    signal_when(&mut child, "-INT", "no helper seen", || {
        !docker(&["ps", "-a", "-q", "--filter", &helpers, "--filter", &filling])
            .trim()
            .is_empty()
    });
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    let volumes = docker(&["volume", "ls", "-q", "--filter", &format!("name={copy}")]);
    assert!(
        volumes.trim().is_empty(),
        "the half-filled volume stays: {stderr}"
    );
    assert_eq!(docker(&["ps", "-a", "-q", "--filter", &helpers]).trim(), "");
}
