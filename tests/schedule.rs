//! Scheduled backups: the systemd units `--dry-run` prints are valid for systemd, and
//! an installed cron.d job runs the backup as cron would (no terminal, a bare
//! environment), two runs started together do not overlap, `schedule ls` shows the
//! last result, and doctor reports a scheduled target whose last run failed.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::fixture::*;
use common::*;

/// The command of the job in the cron.d file at `file` (after `MIN HOUR DOM MON DOW root`).
fn cron_command(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            l.split_once(" root ")
                .map(|(_, command)| command.to_string())
        })
        .unwrap_or_else(|| panic!("no job line in:\n{text}"))
}

/// Runs `command` as cron does: `sh -c`, no terminal, only PATH in the environment.
fn as_cron(command: &str) -> std::process::Child {
    Command::new("sh")
        .arg("-c")
        .arg(command)
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn dry_run_prints_valid_systemd_units_and_a_cron_line() {
    let f = Fixture::new("schdry");
    let (code, out, stderr) = run(f.safeops().args([
        "schedule",
        "add",
        &f.container,
        "--every",
        "1m",
        "--dry-run",
        "--",
        "--keep",
        "3",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let dir = f.dir.path().join("units");
    std::fs::create_dir(&dir).unwrap();
    let mut units = Vec::new();
    for part in out.split("# /etc/").skip(1) {
        let (header, body) = part.split_once('\n').unwrap();
        let name = header.rsplit('/').next().unwrap();
        std::fs::write(dir.join(name), body).unwrap();
        if name.ends_with(".service") || name.ends_with(".timer") {
            units.push(dir.join(name));
        }
    }
    assert_eq!(units.len(), 2, "{out}");
    let (code, o, e) = run(Command::new("systemd-analyze").arg("verify").args(&units));
    assert_eq!(code, 0, "systemd-analyze verify: {o}{e}\n{out}");
    assert!(out.contains("OnCalendar=*-*-* *:*:00"), "{out}");
    let cron = cron_command(&dir.join(format!("docker-safeops-{}", f.container)));
    assert!(
        cron.contains(&format!("backup {} --keep 3 --to ", f.container)),
        "{cron}"
    );
    assert!(
        cron.contains(" -H unix://"),
        "the endpoint is baked in: {cron}"
    );
    // Without XDG variables (systemd's service has no HOME either), the job still uses
    // this shell's home and so its journal, locks and audit log.
    let home = f.dir.path().join("home");
    let (code, out, stderr) = run(f
        .safeops()
        .env_remove("XDG_STATE_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .env("HOME", &home)
        .args([
            "schedule",
            "add",
            &f.container,
            "--every",
            "1h",
            "--dry-run",
        ]));
    assert_eq!(code, 0, "{stderr}");
    let baked = format!("HOME={}", home.display());
    assert!(out.contains(&format!("Environment=\"{baked}\"")), "{out}");
    assert!(out.contains(&format!("root {baked} ")), "{out}");
    let dry_run = |args: &[&str]| {
        run(f
            .safeops()
            .args(["schedule", "add", &f.container, "--dry-run"])
            .args(args))
    };
    // A schedule that never fires is refused.
    let (code, _, stderr) = dry_run(&["--cron", "0 0 30 2 *"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("never fires"), "{stderr}");
    // A location a backup would refuse does not become a directory of its name.
    let (code, out, stderr) = dry_run(&[
        "--every",
        "1h",
        "--",
        "--to",
        "s3:https://AKIAKEY:s3cr3t@minio.example/bucket",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("credentials do not go in the location"),
        "{stderr}"
    );
    assert!(
        !format!("{out}{stderr}").contains("s3cr3t"),
        "{out}{stderr}"
    );
    // A relative --config is baked absolute: cron runs the job from elsewhere.
    let (code, out, stderr) = run(f.safeops().args([
        "--config",
        "rel-config",
        "--context",
        "default",
        "schedule",
        "add",
        &f.container,
        "--every",
        "1h",
        "--dry-run",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let config = f.dir.path().join("rel-config");
    assert!(
        out.contains(&format!("--config {} ", config.display())),
        "{out}"
    );
    // Cron's `5/15` is written as a range, which cronie reads too.
    let (code, out, stderr) = dry_run(&["--cron", "5/15 * * * *"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(out.contains("\n5-59/15 * * * * root "), "{out}");
}

/// The next run is that of the host's clock, as cron reads the schedule: 02:30 at
/// UTC+5 is 21:30 UTC.
#[test]
fn the_next_run_is_on_the_hosts_clock() {
    let f = Fixture::new("schzone");
    let cron_dir = f.dir.path().join("cron.d");
    std::fs::create_dir(&cron_dir).unwrap();
    let scheduled = || {
        let mut cmd = f.safeops();
        cmd.env("SAFEOPS_CRON_DIR", &cron_dir).env("TZ", "XST-5");
        cmd
    };
    let (code, _, stderr) =
        run(scheduled().args(["schedule", "add", &f.container, "--cron", "30 2 * * *"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("T21:30:00.000Z (UTC)"), "{stderr}");
    let listed = json(scheduled().args(["schedule", "ls", "--format", "json"]));
    assert!(
        listed[0]["next_run"]
            .as_str()
            .unwrap()
            .ends_with("T21:30:00.000Z"),
        "{listed:#}"
    );
}

#[test]
fn a_cron_job_runs_the_backup_without_overlap_and_doctor_reports_its_failure() {
    let f = Fixture::new("schcron");
    f.exec(MANY_FILES);
    let cron_dir = f.dir.path().join("cron.d");
    std::fs::create_dir(&cron_dir).unwrap();
    let scheduled = || {
        let mut cmd = f.safeops();
        cmd.env("SAFEOPS_CRON_DIR", &cron_dir);
        cmd
    };
    let (code, _, stderr) =
        run(scheduled().args(["schedule", "add", &f.container, "--every", "1m"]));
    assert_eq!(code, 0, "{stderr}");
    let file = cron_dir.join(format!("docker-safeops-{}", f.container));
    let command = cron_command(&file);

    // Two runs started together: one backs up, the other finds the target locked.
    let (first, second) = (as_cron(&command), as_cron(&command));
    let outcomes: Vec<(i32, String)> = [first, second]
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().unwrap();
            (
                out.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        })
        .collect();
    let codes: Vec<i32> = outcomes.iter().map(|(c, _)| *c).collect();
    assert!(codes.contains(&0) && codes.contains(&5), "{outcomes:#?}");
    let refused = &outcomes.iter().find(|(c, _)| *c == 5).unwrap().1;
    assert!(refused.contains("held by"), "{refused}");
    assert_eq!(
        f.backup_dir_entries().len(),
        1,
        "one backup, no partial one"
    );

    let listed = json(scheduled().args(["schedule", "ls", "--format", "json"]));
    assert_eq!(listed[0]["id"], f.container.as_str(), "{listed:#}");
    assert!(listed[0]["next_run"].is_string(), "{listed:#}");
    assert!(listed[0]["last_run"]["outcome"].is_string(), "{listed:#}");

    // A scheduled run that fails (the target is locked by a backup that then dies):
    // doctor names the schedule.
    let in_flight = backup_in_flight(&f, &[]);
    let failed = as_cron(&command).wait_with_output().unwrap();
    assert_eq!(failed.status.code(), Some(5));
    signal(&in_flight, "-KILL");
    let _ = in_flight.wait_with_output();
    let (code, stdout, _) = run(scheduled().args([
        "doctor",
        &f.container,
        "--check",
        "backup-age",
        "--format",
        "json",
    ]));
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains(&format!("schedule {}", f.container)) && stdout.contains("failed"),
        "{stdout}"
    );
    // Not a finding of another target's.
    let other = format!("{}-other", f.container);
    run_sleeping(&other, &format!("io.safeops.test={}", f.cleanup.label), &[]);
    let (_, stdout, _) = run(scheduled().args([
        "doctor",
        &other,
        "--check",
        "backup-age",
        "--format",
        "json",
    ]));
    assert!(
        !stdout.contains(&format!("schedule {}", f.container)),
        "{stdout}"
    );

    let (code, _, stderr) = run(scheduled().args(["schedule", "rm", &f.container]));
    assert_eq!(code, 0, "{stderr}");
    assert!(!file.exists());
}

#[test]
fn a_scheduled_backup_into_a_repository_runs_unattended() {
    let f = Fixture::new("schrepo");
    f.exec("echo data > /data/file");
    let cron_dir = f.dir.path().join("cron.d");
    std::fs::create_dir(&cron_dir).unwrap();
    std::fs::write(f.dir.path().join("pw"), "secret\n").unwrap();
    let scheduled = || {
        let mut cmd = f.safeops();
        cmd.env("SAFEOPS_CRON_DIR", &cron_dir)
            .env("XDG_STATE_HOME", f.dir.path().join("state"))
            .env("XDG_CACHE_HOME", f.dir.path().join("cache"));
        cmd
    };
    // Relative to this directory, as an operator types them.
    let (code, _, stderr) = run(scheduled()
        .env("SAFEOPS_REPOSITORY_PASSWORD_FILE", "pw")
        .args(["backups", "init", "repo:repo"]));
    assert_eq!(code, 0, "{stderr}");
    // No password for the job: refused now, not at 3 a.m.
    let add = [
        "schedule",
        "add",
        &f.container,
        "--every",
        "5m",
        "--",
        "--to",
        "repo:repo",
    ];
    let (code, _, stderr) = run(scheduled()
        .env_remove("SAFEOPS_REPOSITORY_PASSWORD_FILE")
        .args(add));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("needs the repository's password"),
        "{stderr}"
    );
    let (code, _, stderr) = run(scheduled()
        .env("SAFEOPS_REPOSITORY_PASSWORD_FILE", "pw")
        .args(add));
    assert_eq!(code, 0, "{stderr}");
    let command = cron_command(&cron_dir.join(format!("docker-safeops-{}", f.container)));
    let repo = format!("repo:{}", f.dir.path().join("repo").display());
    assert!(command.contains(&repo), "{command}");
    let out = as_cron(&command).wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = json(
        scheduled()
            .env("SAFEOPS_REPOSITORY_PASSWORD_FILE", "pw")
            .args(["backups", "--to", &repo, "--format", "json"]),
    );
    assert_eq!(listed[0]["target"], f.container.as_str(), "{listed:#}");
    let (code, _, stderr) = run(scheduled().args(["schedule", "rm", &f.container]));
    assert_eq!(code, 0, "{stderr}");
}

/// A job for a compose service's container backs up its project, and is named by it:
/// the audit log, which `schedule ls` and doctor read, names the project's backups.
#[test]
fn a_job_for_a_services_container_is_the_projects() {
    let (_cleanup, project, dir) = started_v2_project("schsvc", "");
    let (code, out, stderr) = run(safeops(dir.path()).args([
        "schedule",
        "add",
        &format!("{project}-db-1"),
        "--every",
        "1h",
        "--dry-run",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert!(out.contains(&format!(" backup {project} ")), "{out}");
    // Two jobs of one target share its audit entries: said when the second is added.
    let cron_dir = dir.path().join("cron.d");
    std::fs::create_dir(&cron_dir).unwrap();
    for (name, warned) in [(format!("{project}-db-1"), false), (project.clone(), true)] {
        let (code, _, stderr) = run(safeops(dir.path())
            .env("SAFEOPS_CRON_DIR", &cron_dir)
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .args(["schedule", "add", &name, "--every", "1h"]));
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(stderr.contains("backs up"), warned, "{stderr}");
    }
}
