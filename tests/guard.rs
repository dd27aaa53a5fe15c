//! Guarded `down` (dry-run plan against real compose, confirmation without and with a
//! terminal, safety backup), `protect`/`unprotect` and the audit log.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// A started compose project with data in its volume, and a private backup directory,
/// journal, audit log and policy file.
struct Project {
    cleanup: Cleanup,
    dir: tempfile::TempDir,
    name: String,
    cli: Vec<&'static str>,
}

impl Project {
    fn start(prefix: &str, cli: &[&'static str], extra: &str) -> Project {
        require_engine();
        let mut cleanup = Cleanup::new();
        let name = unique(prefix);
        cleanup.projects.push(name.clone());
        let dir = tempfile::tempdir().unwrap();
        write_compose(dir.path(), extra);
        compose(cli, dir.path(), &name, &["up", "-d"]);
        let project = Project {
            cleanup,
            dir,
            name,
            cli: cli.to_vec(),
        };
        let separator = if cli[0] == COMPOSE_V1 { '_' } else { '-' };
        docker(&[
            "exec",
            &format!("{}{separator}db{separator}1", project.name),
            "sh",
            "-c",
            "echo precious > /data/file",
        ]);
        project
    }

    fn safeops(&self) -> Command {
        let mut cmd = isolated(self.dir.path());
        cmd.args(["-p", &self.name]);
        if self.cli[0] == COMPOSE_V1 {
            // Without the Docker CLI on PATH, safeops finds compose v1 only.
            let path = path_with(
                self.dir.path(),
                &[("docker-compose", Path::new(COMPOSE_V1))],
            );
            cmd.env("PATH", path);
        }
        cmd
    }

    fn volume(&self) -> String {
        format!("{}_data", self.name)
    }

    fn volume_file(&self) -> Option<String> {
        let mountpoint = docker(&["volume", "inspect", "-f", "{{.Mountpoint}}", &self.volume()]);
        std::fs::read_to_string(PathBuf::from(mountpoint.trim()).join("file")).ok()
    }
}

/// The name of the one (anonymous) volume `container` mounts.
fn anonymous_volume(container: &str) -> String {
    docker(&[
        "inspect",
        "-f",
        "{{range .Mounts}}{{.Name}}{{end}}",
        container,
    ])
    .trim()
    .to_string()
}

fn volumes_on_engine() -> BTreeSet<String> {
    docker(&["volume", "ls", "-q"])
        .lines()
        .map(str::to_string)
        .collect()
}

fn refuses_without_confirmation(cli: &[&'static str]) {
    let p = Project::start("guard", cli, "");
    let (code, _, stderr) = run(p.safeops().args(["down", "-v", "-t", "0"]));
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains(&p.volume()), "names the volume: {stderr}");
    assert!(
        stderr.contains(&format!("--confirm {}", p.name)),
        "says how to confirm: {stderr}"
    );
    assert_eq!(
        p.volume_file().as_deref(),
        Some("precious\n"),
        "volume intact"
    );
    let (code, _, stderr) = run(p
        .safeops()
        .args(["down", "-v", "-t", "0", "--confirm", "nope"]));
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(
        p.volume_file().as_deref(),
        Some("precious\n"),
        "volume intact"
    );
}

#[test]
fn down_v_is_refused_without_confirmation_compose_v2() {
    refuses_without_confirmation(&["docker", "compose"]);
}

/// `compose down -v SERVICE` removes that service's volumes: guarded as the whole
/// project's `down -v` is.
#[test]
fn down_v_of_one_service_is_refused_without_confirmation() {
    let p = Project::start("guardsvc", &["docker", "compose"], "");
    let (code, _, stderr) = run(p.safeops().args(["down", "-v", "-t", "0", "db"]));
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains(&p.volume()), "names the volume: {stderr}");
    // The command it says to run takes down that service, not the whole project.
    let hint = format!(
        "docker safeops -p {} down --volumes --timeout 0 db --confirm {}",
        p.name, p.name
    );
    assert!(stderr.contains(&hint), "{stderr}");
    assert_eq!(
        p.volume_file().as_deref(),
        Some("precious\n"),
        "volume intact"
    );
}

/// Compose enables a service named on its command line whatever its profiles, and
/// takes its volumes: a plan loaded without the profile cannot see them, so such a
/// `down` is refused until the profile is enabled, and then planned with them.
#[test]
fn down_v_of_a_service_whose_profile_is_off_is_planned_only_with_the_profile() {
    let p = Project::start("guardprof", &["docker", "compose"], "");
    let file = p.dir.path().join("compose.yaml");
    let text = std::fs::read_to_string(&file).unwrap().replacen(
        "volumes:\n  data: {}\n",
        &format!(
            "  worker:\n    image: {IMAGE}\n    command: [\"sleep\", \"3600\"]\n    \
             profiles: [jobs]\n    volumes: [\"jobdata:/jobs\"]\nvolumes:\n  data: {{}}\n  \
             jobdata: {{}}\n"
        ),
        1,
    );
    std::fs::write(&file, text).unwrap();
    compose(
        &["docker", "compose"],
        p.dir.path(),
        &p.name,
        &["--profile", "jobs", "up", "-d", "worker"],
    );
    let jobdata = format!("{}_jobdata", p.name);
    let (code, _, stderr) = run(p.safeops().args(["down", "-v", "-t", "0", "worker"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--profile"), "{stderr}");
    assert!(volumes_on_engine().contains(&jobdata));
    let plan = json(p.safeops().args([
        "--profile",
        "jobs",
        "down",
        "-v",
        "worker",
        "--dry-run",
        "--format",
        "json",
    ]));
    let planned = plan["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == jobdata.as_str())
        .unwrap_or_else(|| panic!("{plan:#}"));
    assert_eq!(planned["action"], "remove", "{plan:#}");
}

#[test]
fn down_v_is_refused_without_confirmation_compose_v1() {
    refuses_without_confirmation(&[COMPOSE_V1]);
}

#[test]
fn confirmed_down_v_takes_a_safety_backup_that_restores_the_data() {
    let p = Project::start("undo", &["docker", "compose"], "");
    let (code, _, stderr) = run(p
        .safeops()
        .args(["down", "-v", "-t", "0", "--confirm", &p.name]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !volumes_on_engine().contains(&p.volume()),
        "compose removed the volume"
    );
    let backup = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("undo with: docker safeops restore "))
        .unwrap_or_else(|| panic!("no safety backup announced: {stderr}"))
        .to_string();
    let (code, _, stderr) = run(p.safeops().args(["restore", &backup]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(p.volume_file().as_deref(), Some("precious\n"));
    let (code, stdout, stderr) = run(p.safeops().args(["log"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("down ") && stdout.contains("restore"),
        "{stdout}"
    );
}

#[test]
fn typed_confirmation_on_a_terminal() {
    let p = Project::start("tty", &["docker", "compose"], "");
    // `input` is a shell command whose output is typed on the terminal.
    let on_terminal = |input: &str| {
        let command = format!("{} -p {} down -v -t 0 --no-backup", bin().display(), p.name);
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("{input} | script -qec '{command}' /dev/null"))
            .current_dir(p.dir.path())
            .env("XDG_STATE_HOME", p.dir.path().join("state"))
            .env("XDG_CONFIG_HOME", p.dir.path().join(".xdg-config"));
        run(&mut cmd)
    };
    let typed = |answer: &str| on_terminal(&format!("printf '{answer}\\n'"));
    // Ctrl-C at the prompt (once the prompt reads keys): interrupted, nothing changed.
    let (code, stdout, _) = on_terminal("(sleep 2; printf '\\003'; sleep 1)");
    assert_eq!(code, 130, "{stdout}");
    assert_eq!(
        p.volume_file().as_deref(),
        Some("precious\n"),
        "volume intact"
    );
    let (code, stdout, _) = typed("wrong");
    assert_eq!(code, 3, "{stdout}");
    assert!(
        stdout.contains("Type"),
        "prompted on the terminal: {stdout}"
    );
    assert_eq!(
        p.volume_file().as_deref(),
        Some("precious\n"),
        "volume intact"
    );
    let (code, stdout, _) = typed(&p.name);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        !volumes_on_engine().contains(&p.volume()),
        "confirmed: removed"
    );
}

/// The Docker CLI going away (its plugin socket closing: the ssh session dropped) at
/// the typed confirmation ends the wait, as Ctrl-C does: interrupted, nothing changed.
/// The prompt used to wait for a key nobody could type.
#[test]
fn the_docker_cli_going_away_at_the_typed_confirmation_ends_it() {
    let p = Project::start("cligone", &["docker", "compose"], "");
    let socket = unique("safeops-test-sock");
    let listener = {
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(socket.as_bytes()).unwrap();
        std::os::unix::net::UnixListener::bind_addr(&addr).unwrap()
    };
    let command = format!("{} -p {} down -v -t 0 --no-backup", bin().display(), p.name);
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(p.dir.path())
        .env("DOCKER_CLI_PLUGIN_SOCKET", format!("@{socket}"))
        .env("XDG_STATE_HOME", p.dir.path().join("state"))
        .env("XDG_CONFIG_HOME", p.dir.path().join(".xdg-config"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (connection, _) = listener.accept().unwrap();
    let mut out = child.stdout.take().unwrap();
    let shown = read_until(&mut out, "to confirm");
    drop(connection);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{shown}{rest}");
    assert!(rest.contains("plugin socket"), "says why: {rest}");
    assert_eq!(
        p.volume_file().as_deref(),
        Some("precious\n"),
        "volume intact"
    );
}

/// A started project that also declares an unused volume and an external one.
fn project_with_unused_and_external(prefix: &str, cli: &[&'static str]) -> (Project, String) {
    let external = unique("ext");
    docker(&[
        "volume",
        "create",
        "--label",
        "io.safeops.test=guard",
        &external,
    ]);
    let extra = format!("  unused: {{}}\n  outside:\n    external: true\n    name: {external}\n");
    let mut p = Project::start(prefix, cli, &extra);
    p.cleanup.volumes.push(external.clone());
    (p, external)
}

/// What real `down -v` removes equals the plan's `remove` set.
fn plan_matches_compose(cli: &[&'static str]) {
    let (p, external) = project_with_unused_and_external("plan", cli);
    let plan = json(
        p.safeops()
            .args(["down", "-v", "--dry-run", "--format", "json"]),
    );
    assert_eq!(plan["project"], p.name.as_str(), "{plan}");
    let planned: BTreeSet<String> = plan["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["action"] == "remove")
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect();
    assert!(planned.contains(&p.volume()), "{plan}");
    assert!(
        !planned.contains(&external),
        "external volumes are kept: {plan}"
    );
    let before = volumes_on_engine();
    compose(&p.cli, p.dir.path(), &p.name, &["down", "-v", "-t", "0"]);
    // Other tests create and remove volumes meanwhile: only this project's count.
    let removed: BTreeSet<String> = before
        .difference(&volumes_on_engine())
        .filter(|v| v.starts_with(&format!("{}_", p.name)) || **v == external)
        .cloned()
        .collect();
    assert_eq!(planned, removed, "plan vs real compose down -v: {plan}");
}

#[test]
fn dry_run_plan_equals_what_compose_v2_removes() {
    plan_matches_compose(&["docker", "compose"]);
}

#[test]
fn dry_run_plan_equals_what_compose_v1_removes() {
    plan_matches_compose(&[COMPOSE_V1]);
}

#[test]
fn a_v1_project_is_planned_with_v1_even_when_v2_is_installed() {
    let (p, _) = project_with_unused_and_external("v1both", &[COMPOSE_V1]);
    // Both CLIs on PATH: compose v1 created it, so compose v1 drives it.
    let mut cmd = isolated(p.dir.path());
    cmd.args(["-p", &p.name, "down", "-v", "--dry-run", "--format", "json"]);
    let plan = json(&mut cmd);
    let unused = format!("{}_unused", p.name);
    let entry = plan["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == unused.as_str())
        .cloned();
    assert_eq!(
        entry.map(|e| e["action"].clone()),
        Some("remove".into()),
        "{plan}"
    );
}

#[test]
fn a_foreign_volume_is_protected_even_when_empty() {
    require_engine();
    let name = unique("foreign");
    let volume = format!("{name}_data");
    docker(&["volume", "create", &volume]);
    let mut cleanup = Cleanup::new();
    cleanup.volumes.push(volume.clone());
    cleanup.projects.push(name.clone());
    let dir = tempfile::tempdir().unwrap();
    write_compose(dir.path(), "");
    let mut cmd = safeops(dir.path());
    cmd.env("XDG_STATE_HOME", dir.path().join("state")).args([
        "-p",
        &name,
        "down",
        "-v",
        "--dry-run",
        "--format",
        "json",
    ]);
    compose(&["docker", "compose"], dir.path(), &name, &["up", "-d"]);
    let plan = json(&mut cmd);
    let entry = plan["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == volume.as_str())
        .unwrap_or_else(|| panic!("{plan}"))
        .clone();
    assert_eq!(entry["action"], "remove", "{entry}");
    assert_eq!(entry["protected"], true, "{entry}");
}

#[test]
fn protect_unprotect_and_an_edited_audit_log_is_detected() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let volume = unique("pol");
    let mut cleanup = Cleanup::new();
    cleanup.volumes.push(volume.clone());
    docker(&["volume", "create", &volume]);
    let safeops_cmd = || {
        let mut cmd = safeops(dir.path());
        cmd.env("XDG_STATE_HOME", &state);
        cmd
    };
    let (code, _, stderr) =
        run(safeops_cmd().args(["protect", &volume, "--reason", "billing data"]));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(safeops_cmd().args(["unprotect", &volume]));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(safeops_cmd().args(["protect", &volume]));
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = run(safeops_cmd().args(["log", "--verify"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("3 entries, chain intact"), "{stdout}");
    let report = json(safeops_cmd().args(["log", "--verify", "--format", "json"]));
    assert_eq!(
        (&report["entries"], &report["chain_intact"]),
        (&serde_json::json!(3), &serde_json::json!(true)),
        "{report}"
    );
    let log = state.join("docker-safeops/audit.log");
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, text.replacen("billing data", "nothing much", 1)).unwrap();
    let (code, _, stderr) = run(safeops_cmd().args(["log", "--verify"]));
    assert_eq!(code, 4, "{stderr}");
    assert!(
        stderr.contains("line 1"),
        "names the first broken entry: {stderr}"
    );
}

#[test]
fn volume_rm_of_a_standalone_containers_data_is_guarded_and_undoable() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    let mut cleanup = Cleanup::new();
    let container = unique("solo");
    let volume = format!("{container}-data");
    cleanup.volumes.push(volume.clone());
    let label = format!("io.safeops.test={}", cleanup.label);
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
        "sh",
        "-c",
        "echo precious > /data/file; sleep 3600",
    ]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let safeops_cmd = || isolated(dir.path());
    // In use: refused at once, as the engine would refuse it, before a safety backup
    // stopped the container.
    let started = docker(&["inspect", "-f", "{{.State.StartedAt}}", &container]);
    let (code, _, stderr) =
        run(safeops_cmd().args(["volume", "rm", &volume, "--confirm", &volume]));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!("in use by {container}")),
        "{stderr}"
    );
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.StartedAt}}", &container]),
        started
    );
    docker(&["rm", "-f", &container]);
    let (code, _, stderr) = run(safeops_cmd().args(["volume", "rm", &volume]));
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains(&volume), "{stderr}");
    docker(&["volume", "inspect", &volume]);
    let (code, stdout, stderr) =
        run(safeops_cmd().args(["volume", "rm", &volume, "--confirm", &volume]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim(), volume, "prints what it removed, like docker");
    assert!(!volumes_on_engine().contains(&volume));
    let backup = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("undo with: docker safeops restore "))
        .unwrap_or_else(|| panic!("{stderr}"))
        .to_string();
    let (code, _, stderr) = run(safeops_cmd().args(["restore", &backup]));
    assert_eq!(code, 0, "{stderr}");
    let mountpoint = docker(&["volume", "inspect", "-f", "{{.Mountpoint}}", &volume]);
    let content = std::fs::read_to_string(PathBuf::from(mountpoint.trim()).join("file")).unwrap();
    assert_eq!(content, "precious\n");
}

fn run_container(cleanup: &Cleanup, name: &str, extra: &[&str], script: &str) {
    let label = format!("io.safeops.test={}", cleanup.label);
    let mut args = vec!["run", "-d", "--name", name, "--label", &label];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[IMAGE, "sh", "-c", script]);
    docker(&args);
}

#[test]
fn restart_checks_that_containers_stay_up() {
    require_engine();
    let cleanup = Cleanup::new();
    let dir = tempfile::tempdir().unwrap();
    let fine = unique("fine");
    let dies = unique("dies");
    let loops = unique("loops");
    run_container(&cleanup, &fine, &[], "sleep 3600");
    // Starts fine the first time; after a restart it finds its marker and fails.
    run_container(
        &cleanup,
        &dies,
        &[],
        "if [ -f /started ]; then echo 'fatal: lost config' >&2; exit 3; fi; touch /started; sleep 3600",
    );
    run_container(
        &cleanup,
        &loops,
        &["--restart", "always"],
        "if [ -f /started ]; then echo 'crash after start'; sleep 1; exit 1; fi; touch /started; sleep 3600",
    );
    let restart = |name: &str| {
        run(safeops(dir.path()).args(["restart", name, "-t", "0", "--stable-for", "4"]))
    };
    let (code, _, stderr) = restart(&fine);
    assert_eq!(code, 0, "{stderr}");
    let state = || {
        docker(&["inspect", "-f", "{{.State.Status}}", &fine])
            .trim()
            .to_string()
    };
    let (code, stdout, stderr) = run(safeops(dir.path()).args(["stop", &fine, "-t", "0"]));
    assert_eq!((code, stdout.trim()), (0, fine.as_str()), "{stderr}");
    assert_eq!(state(), "exited");
    let (code, _, stderr) = run(safeops(dir.path()).args(["start", &fine, "--stable-for", "1"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(state(), "running");
    let (code, _, stderr) = restart(&dies);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("exited (code 3)"), "{stderr}");
    assert!(
        stderr.contains("fatal: lost config"),
        "shows its last log lines: {stderr}"
    );
    let (code, _, stderr) = restart(&loops);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&loops) && stderr.contains("crash after start"),
        "{stderr}"
    );
    // Healthy at first, unhealthy a second later: no success either.
    let sickens = unique("sickens");
    run_container(
        &cleanup,
        &sickens,
        &[
            "--health-cmd",
            "test ! -f /sick",
            "--health-interval",
            "1s",
            "--health-retries",
            "1",
        ],
        "rm -f /sick; sleep 2; touch /sick; sleep 3600",
    );
    let (code, _, stderr) = restart(&sickens);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("turned unhealthy"), "{stderr}");
}

#[test]
fn shell_init_intercepts_compose_down_v_in_an_interactive_bash() {
    let p = Project::start("shell", &["docker", "compose"], "");
    let config = docker_config_with_plugin(p.dir.path());
    let init = p.dir.path().join("init.bash");
    let (code, functions, _) = run(Command::new(bin()).args(["shell-init", "bash"]));
    assert_eq!(code, 0);
    std::fs::write(&init, functions).unwrap();
    // Typed into an interactive bash on a pseudo-terminal: the wrapped `docker compose
    // down -v` asks for the project name; a wrong answer refuses (exit 3).
    let mut cmd = Command::new("script");
    cmd.args(["-qec", "bash --norc --noprofile -i", "/dev/null"])
        .current_dir(p.dir.path())
        .env("DOCKER_CONFIG", &config)
        .env("XDG_STATE_HOME", p.dir.path().join("state"))
        .env("XDG_CONFIG_HOME", p.dir.path().join(".xdg-config"))
        .env_remove("DOCKER_HOST")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Typed like a person: each line once the previous command is waiting for it.
    for (line, pause) in [
        (format!("source {}", init.display()), 300),
        (
            format!(
                "docker compose -p {} ps >/dev/null && echo PASSTHROUGH=$?",
                p.name
            ),
            3000,
        ),
        (format!("docker compose -p {} down -v -t 0", p.name), 4000),
        ("wrong".to_string(), 2000),
        ("echo EXIT=$?".to_string(), 500),
        ("exit".to_string(), 0),
    ] {
        std::io::Write::write_all(&mut stdin, format!("{line}\n").as_bytes()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(pause));
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(
        screen.contains("PASSTHROUGH=0"),
        "other commands pass through: {screen}"
    );
    assert!(
        screen.contains("would destroy protected volume"),
        "{screen}"
    );
    assert!(screen.contains("EXIT=3"), "{screen}");
    assert_eq!(
        p.volume_file().as_deref(),
        Some("precious\n"),
        "volume intact"
    );
}

#[test]
fn down_v_in_run_mode_when_the_compose_files_are_gone() {
    let p = Project::start("gone", &["docker", "compose"], "");
    std::fs::remove_file(p.dir.path().join("compose.yaml")).unwrap();
    // Restarted through the Engine API, and checked.
    let (code, stdout, stderr) = run(p
        .safeops()
        .args(["restart", "-t", "0", "--stable-for", "1"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("note: running in run mode"), "{stderr}");
    assert!(stdout.contains(&format!("{}-db-1", p.name)), "{stdout}");
    let (code, _, stderr) = run(p.safeops().args(["down", "-v", "-t", "0"]));
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("note: running in run mode"), "{stderr}");
    assert_eq!(p.volume_file().as_deref(), Some("precious\n"));
    let (code, _, stderr) = run(p
        .safeops()
        .args(["down", "-v", "-t", "0", "--confirm", &p.name]));
    assert_eq!(code, 0, "{stderr}");
    assert!(!volumes_on_engine().contains(&p.volume()), "{stderr}");
    let containers = docker(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=com.docker.compose.project={}", p.name),
    ]);
    assert!(
        containers.trim().is_empty(),
        "containers removed: {containers}"
    );
    assert!(
        stderr.contains("undo with: docker safeops restore"),
        "{stderr}"
    );
}

#[test]
fn volume_prune_and_rm_v_are_guarded() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    let mut cleanup = Cleanup::new();
    let label = format!("io.safeops.test={}", cleanup.label);
    let safeops_cmd = || isolated(dir.path());
    // An unused named volume holding data: prune --all must not take it silently.
    let kept = unique("unused");
    cleanup.volumes.push(kept.clone());
    docker(&["volume", "create", "--label", &label, &kept]);
    docker(&[
        "run",
        "--rm",
        "-v",
        &format!("{kept}:/d"),
        IMAGE,
        "sh",
        "-c",
        "echo x > /d/f",
    ]);
    let plan =
        json(safeops_cmd().args(["volume", "prune", "--all", "--dry-run", "--format", "json"]));
    let entry = plan["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == kept.as_str())
        .cloned();
    let entry = entry.unwrap_or_else(|| panic!("{plan}"));
    assert_eq!(
        (entry["action"].as_str(), entry["protected"].as_bool()),
        (Some("remove"), Some(true))
    );
    let (code, _, stderr) = run(safeops_cmd().args(["volume", "prune", "--all", "-f"]));
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains(&kept), "{stderr}");
    assert!(
        stderr.contains("docker safeops volume prune --all -f --confirm"),
        "{stderr}"
    );
    assert!(volumes_on_engine().contains(&kept));

    // rm -v removes a container's anonymous volume: guarded once it is protected.
    let container = unique("anon");
    docker(&[
        "run", "-d", "--name", &container, "--label", &label, "-v", "/scratch", IMAGE, "sleep",
        "3600",
    ]);
    let anonymous = anonymous_volume(&container);
    cleanup.volumes.push(anonymous.clone());
    let (code, _, stderr) = run(safeops_cmd().args(["protect", &anonymous]));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(safeops_cmd().args(["rm", "-f", "-v", &container]));
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "docker safeops rm -f -v {container} --confirm {anonymous}"
        )),
        "{stderr}"
    );
    docker(&["inspect", &container]);
    let removed = json(safeops_cmd().args([
        "rm",
        "-f",
        "-v",
        &container,
        "--confirm",
        &anonymous,
        "--no-backup",
        "--format",
        "json",
    ]));
    assert_eq!(removed, serde_json::json!({ "deleted": [container] }));
    assert!(
        !volumes_on_engine().contains(&anonymous),
        "rm -v removed the anonymous volume"
    );
}

#[test]
fn recreate_of_a_compose_service_is_done_by_compose() {
    let p = Project::start("rec", &["docker", "compose"], "");
    let container = format!("{}-db-1", p.name);
    let before = docker(&["inspect", "-f", "{{.Id}}", &container]);
    let (code, stdout, stderr) = run(p
        .safeops()
        .args(["recreate", &container, "-t", "0", "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect(&stdout);
    assert_eq!(report["from"], "compose", "{report}");
    let after = docker(&["inspect", "-f", "{{.Id}} {{.State.Running}}", &container]);
    assert_eq!(report["id"], after.split(' ').next().unwrap(), "{report}");
    assert_ne!(
        after.split(' ').next().unwrap(),
        before.trim(),
        "a new container"
    );
    assert!(after.trim().ends_with("true"), "{after}");
    assert_eq!(
        p.volume_file().as_deref(),
        Some("precious\n"),
        "same volume"
    );
    // A stopped service is recreated stopped, as in run mode.
    docker(&["stop", "-t", "0", &container]);
    let (code, stdout, stderr) = run(p
        .safeops()
        .args(["recreate", &container, "-t", "0", "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect(&stdout);
    assert_eq!(report["running"], false, "{report}");
    let state = docker(&["inspect", "-f", "{{.State.Status}}", &container]);
    assert_eq!(state.trim(), "created");
}

/// Compose's global `--dry-run` before the verb: a removal prints its plan and removes
/// nothing; a verb without a dry run refuses it (exit 2) and changes nothing.
#[test]
fn the_global_dry_run_removes_nothing_and_verbs_without_one_refuse_it() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    let mut cleanup = Cleanup::new();
    let label = format!("io.safeops.test={}", cleanup.label);
    let volume = unique("dryvol");
    cleanup.volumes.push(volume.clone());
    docker(&["volume", "create", "--label", &label, &volume]);
    let container = unique("dryrun");
    run_sleeping(&container, &label, &[]);
    let (code, stdout, stderr) =
        run(isolated(dir.path()).args(["--dry-run", "volume", "rm", &volume]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&volume), "the plan names it: {stdout}");
    assert!(volumes_on_engine().contains(&volume), "{stderr}");
    let (code, _, stderr) = run(isolated(dir.path()).args(["--dry-run", "rm", "-f", &container]));
    assert_eq!(code, 0, "{stderr}");
    for verb in ["stop", "restart"] {
        let (code, _, stderr) = run(isolated(dir.path()).args(["--dry-run", verb, &container]));
        assert_eq!(code, 2, "{verb}: {stderr}");
        assert!(stderr.contains("no dry run"), "{stderr}");
    }
    let state = docker(&["inspect", "-f", "{{.State.Status}}", &container]);
    assert_eq!(state.trim(), "running");
}

/// `volume prune`'s own y/N question on a terminal: Ctrl-C ends it (exit 130), "n"
/// removes nothing. An unused anonymous volume is protected, so a prune that went on
/// anyway would be refused, not remove other volumes of the engine.
#[test]
fn ctrl_c_or_no_at_the_prune_question_removes_nothing() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    let mut cleanup = Cleanup::new();
    let label = format!("io.safeops.test={}", cleanup.label);
    let container = unique("prunequestion");
    docker(&[
        "create", "--name", &container, "--label", &label, "-v", "/scratch", IMAGE,
    ]);
    let anonymous = anonymous_volume(&container);
    cleanup.volumes.push(anonymous.clone());
    docker(&["rm", &container]);
    let (code, _, stderr) = run(isolated(dir.path()).args(["protect", &anonymous]));
    assert_eq!(code, 0, "{stderr}");
    // `input` is a shell command whose output is typed on the terminal.
    let on_terminal = |input: &str| {
        let command = format!("{} volume prune", bin().display());
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("{input} | script -qec '{command}' /dev/null"))
            .current_dir(dir.path())
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .env("SAFEOPS_BACKUP_DIR", dir.path().join("backups"))
            .env("XDG_CONFIG_HOME", dir.path().join(".xdg-config"))
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT");
        run(&mut cmd)
    };
    let (code, stdout, _) = on_terminal("(sleep 2; printf '\\003'; sleep 1)");
    assert_eq!(code, 130, "{stdout}");
    let (code, stdout, _) = on_terminal("printf 'n\\n'");
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("Are you sure you want to continue?"),
        "{stdout}"
    );
    assert!(volumes_on_engine().contains(&anonymous));
}

/// A prune locks each volume it removes, one open file each: the soft limit on open
/// files (here 64) is raised to the hard one, so hundreds of volumes fit.
#[test]
fn the_open_files_limit_is_raised_for_many_locks() {
    require_engine();
    let dir = tempfile::tempdir().unwrap();
    let command = format!("ulimit -Sn 64; exec {} volume prune", bin().display());
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("XDG_CONFIG_HOME", dir.path().join(".xdg-config"))
        .env("SAFEOPS_BACKUP_DIR", dir.path().join("backups"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once it asks its question, it has set its limits.
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut said = String::new();
    while !said.contains("[y/N]") {
        let mut byte = [0u8; 1];
        let n = std::io::Read::read(&mut stderr, &mut byte).unwrap();
        assert_ne!(n, 0, "no question: {said}");
        said.push(byte[0] as char);
    }
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
    let open_files: Vec<&str> = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap()
        .split_whitespace()
        .collect();
    drop(child.stdin.take());
    child.wait().unwrap();
    assert_eq!(
        open_files[3], open_files[4],
        "soft and hard: {open_files:?}"
    );
}

/// In a project's directory a name its compose file declares is a service even with
/// no container now: `stop` leaves alone a container elsewhere that has that name.
#[test]
fn a_declared_service_without_containers_is_never_another_container() {
    require_engine();
    let mut cleanup = Cleanup::new();
    let dir = tempfile::tempdir().unwrap();
    let project = unique("lone");
    let service = unique("svc");
    cleanup.projects.push(project.clone());
    std::fs::write(
        dir.path().join("compose.yaml"),
        format!(
            "services:\n  keep:\n    image: {IMAGE}\n    command: [\"sleep\", \"3600\"]\n  \
             {service}:\n    image: {IMAGE}\n    command: [\"sleep\", \"3600\"]\n"
        ),
    )
    .unwrap();
    compose(
        &["docker", "compose"],
        dir.path(),
        &project,
        &["up", "-d", "keep"],
    );
    // Another project's container named as this one's service.
    run_container(&cleanup, &service, &[], "sleep 3600");
    let (code, _, stderr) =
        run(safeops(dir.path()).args(["-p", &project, "stop", &service, "-t", "0"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Status}}", &service]).trim(),
        "running"
    );
}

/// When the engine refuses one of several removals, what was removed is still printed
/// (JSON included) before the failure: a script learns what is gone.
#[test]
fn a_partial_removal_says_what_it_removed() {
    require_engine();
    let cleanup = Cleanup::new();
    let dir = tempfile::tempdir().unwrap();
    let (stopped, running) = (unique("gone"), unique("stays"));
    run_container(&cleanup, &stopped, &[], "true");
    run_container(&cleanup, &running, &[], "sleep 3600");
    docker(&["wait", &stopped]);
    let (code, stdout, stderr) =
        run(isolated(dir.path()).args(["rm", &stopped, &running, "--format", "json"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!("could not remove {running}")),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report, serde_json::json!({ "deleted": [stopped] }));
}
