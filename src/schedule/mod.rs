//! Scheduled backups installed the host's way (seed 003's cron-scheduled RPO tiers): a
//! systemd timer and service when systemd is the init system, else a file in
//! `/etc/cron.d` (`SAFEOPS_CRON_DIR` names another directory). Each job runs
//! `docker-safeops backup` with the endpoint, locations and state directories baked
//! in, so that cron's bare environment runs what the operator tested; overlapping runs
//! of one target are kept apart by the backup's own target lock.
//!
//! A job's files carry a `# docker-safeops-schedule: {json}` line that `schedule ls`,
//! `schedule rm` and `doctor` read back.

pub mod cron;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
pub use cron::Cron;

/// The marker line of a job's files.
const MARKER: &str = "# docker-safeops-schedule: ";
/// The prefix of a job's file names.
const PREFIX: &str = "docker-safeops-";

/// The cron daemon running on this host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CronDaemon {
    /// None runs.
    None,
    /// One that reads `/etc/cron.d` (Vixie cron's `cron`, cronie's `crond`).
    ReadsCronD,
    /// BusyBox's `crond` (Alpine's): it reads `/etc/crontabs/USER` only.
    BusyBox,
}

/// Which cron daemon runs on this host.
pub fn cron_daemon() -> CronDaemon {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let comm = std::fs::read_to_string(entry.path().join("comm")).ok()?;
            let exe = std::fs::read_link(entry.path().join("exe")).ok();
            daemon_of(comm.trim(), exe.as_deref())
        })
        .max_by_key(|daemon| *daemon == CronDaemon::ReadsCronD)
        .unwrap_or(CronDaemon::None)
}

/// The cron daemon a process is, by its command name and its program (`None` when it
/// cannot be read): BusyBox's applets are the `busybox` program.
fn daemon_of(comm: &str, exe: Option<&Path>) -> Option<CronDaemon> {
    if !matches!(comm, "cron" | "crond") {
        return None;
    }
    let busybox = exe
        .and_then(Path::file_name)
        .is_some_and(|name| name.to_string_lossy().starts_with("busybox"));
    Some(match busybox {
        true => CronDaemon::BusyBox,
        false => CronDaemon::ReadsCronD,
    })
}

/// Where systemd keeps the last run of each persistent timer.
const SYSTEMD_TIMER_STAMPS: &str = "/var/lib/systemd/timers";

/// Where jobs are installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// systemd units in this directory.
    Systemd(PathBuf),
    /// cron.d files in this directory.
    Cron(PathBuf),
}

impl Backend {
    /// The host's way: `SAFEOPS_CRON_DIR` when set, else systemd when it is the init
    /// system, else `/etc/cron.d`.
    pub fn of_host(env: &dyn Fn(&str) -> Option<String>) -> Backend {
        if let Some(dir) = env("SAFEOPS_CRON_DIR").filter(|d| !d.is_empty()) {
            return Backend::Cron(PathBuf::from(dir));
        }
        if Path::new("/run/systemd/system").is_dir() {
            Backend::Systemd(PathBuf::from("/etc/systemd/system"))
        } else {
            Backend::Cron(PathBuf::from("/etc/cron.d"))
        }
    }

    /// Whether it is the host's own cron (`/etc/cron.d`), which a daemon must read.
    pub fn is_host_cron(&self) -> bool {
        matches!(self, Backend::Cron(dir) if dir == Path::new("/etc/cron.d"))
    }

    fn dir(&self) -> &Path {
        match self {
            Backend::Systemd(dir) | Backend::Cron(dir) => dir,
        }
    }

    /// `systemd` or `cron`.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Systemd(_) => "systemd",
            Backend::Cron(_) => "cron",
        }
    }
}

/// A scheduled backup.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Job {
    /// Its id (and the name of its files, after the prefix).
    pub id: String,
    /// The target it backs up.
    pub target: String,
    /// When, as a cron expression.
    pub schedule: String,
    /// `--every`, when it was given that way.
    pub every: Option<String>,
    /// Environment assignments the command runs with.
    pub env: Vec<(String, String)>,
    /// The command, absolute program first.
    pub command: Vec<String>,
}

/// A job's id for `target`: letters, digits, `-` and `_` only (cron skips files in
/// cron.d whose names hold a `.`).
pub fn job_id(target: &str) -> String {
    target
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// A single-quoted shell word.
fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// A word of a systemd command line: double-quoted, `%` and `$` escaped.
fn systemd_word(word: &str) -> String {
    systemd_quoted(&word.replace('$', "$$"))
}

/// A double-quoted systemd value with `%` escaped (`Environment=` does not expand `$`).
fn systemd_quoted(value: &str) -> String {
    format!(
        "\"{}\"",
        value
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('%', "%%")
    )
}

impl Job {
    fn marker(&self) -> String {
        format!(
            "{MARKER}{}",
            serde_json::to_string(self).expect("a job serializes")
        )
    }

    /// The command as `sh` runs it: env assignments, then the quoted words.
    pub fn shell_command(&self) -> String {
        self.env
            .iter()
            .map(|(k, v)| format!("{k}={}", shell_word(v)))
            .chain(self.command.iter().map(|w| shell_word(w)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The file in `/etc/cron.d`: cron's own format, `%` escaped (cron reads it as a
    /// newline).
    pub fn cron_file(&self) -> String {
        format!(
            "{}\n# Backup of {} written by `docker safeops schedule add`; remove it with \
             `docker safeops schedule rm {}`.\nSHELL=/bin/sh\n\
             PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n{} root {}\n",
            self.marker(),
            self.target,
            self.id,
            self.schedule,
            self.shell_command().replace('%', "\\%")
        )
    }

    /// The systemd service and timer units.
    pub fn systemd_units(&self) -> Result<(String, String)> {
        let cron = Cron::parse(&self.schedule).map_err(Error::usage)?;
        let environment: String = self
            .env
            .iter()
            .map(|(k, v)| format!("Environment={}\n", systemd_quoted(&format!("{k}={v}"))))
            .collect();
        let exec: Vec<String> = self.command.iter().map(|w| systemd_word(w)).collect();
        let service = format!(
            "{}\n[Unit]\nDescription=docker-safeops backup of {}\nWants=docker.service\n\
             After=docker.service\n\n[Service]\nType=oneshot\n{environment}ExecStart={}\n",
            self.marker(),
            self.target,
            exec.join(" ")
        );
        let calendars: String = cron
            .on_calendar()
            .iter()
            .map(|c| format!("OnCalendar={c}\n"))
            .collect();
        let timer = format!(
            "{}\n[Unit]\nDescription=docker-safeops backup of {} ({})\n\n[Timer]\n\
             {calendars}Persistent=true\nUnit={PREFIX}{}.service\n\n[Install]\n\
             WantedBy=timers.target\n",
            self.marker(),
            self.target,
            self.every
                .as_deref()
                .map_or(self.schedule.clone(), |e| format!("every {e}")),
            self.id
        );
        Ok((service, timer))
    }

    /// The files it is installed in.
    pub fn files(&self, backend: &Backend) -> Vec<PathBuf> {
        match backend {
            Backend::Cron(dir) => vec![dir.join(format!("{PREFIX}{}", self.id))],
            Backend::Systemd(dir) => vec![
                dir.join(format!("{PREFIX}{}.service", self.id)),
                dir.join(format!("{PREFIX}{}.timer", self.id)),
            ],
        }
    }
}

/// Installs `job`; refuses when a job of that id exists.
pub fn install(backend: &Backend, job: &Job) -> Result<Vec<PathBuf>> {
    let files = job.files(backend);
    if files.iter().any(|f| f.exists()) {
        return Err(
            Error::usage(format!("a schedule {} exists already", job.id)).hint(format!(
                "remove it first: docker safeops schedule rm {}",
                job.id
            )),
        );
    }
    let contents = match backend {
        Backend::Cron(_) => vec![job.cron_file()],
        Backend::Systemd(_) => {
            let (service, timer) = job.systemd_units()?;
            vec![service, timer]
        }
    };
    let timer = format!("{PREFIX}{}.timer", job.id);
    let mut told_systemd = false;
    let mut installed = || -> Result<()> {
        for (file, text) in files.iter().zip(&contents) {
            write_readable(file, text)?;
        }
        if let Backend::Systemd(_) = backend {
            told_systemd = true;
            systemctl(&["daemon-reload"])?;
            systemctl(&["enable", "--now", &timer])?;
        }
        Ok(())
    };
    // Half a job (a service without its timer, which `schedule rm` cannot see, blocks
    // the next `schedule add`) is no job: what was written goes again.
    if let Err(err) = installed() {
        if told_systemd {
            // Enabled but not started leaves a link in timers.target.wants.
            let _ = systemctl(&["disable", &timer]);
        }
        for file in &files {
            let _ = std::fs::remove_file(file);
        }
        if told_systemd {
            let _ = systemctl(&["daemon-reload"]);
        }
        return Err(err);
    }
    Ok(files)
}

/// Cron and systemd read these files as root; they must not be writable by others, nor
/// be read half-written (cron and systemd skip the temporary file's name).
fn write_readable(path: &Path, text: &str) -> Result<()> {
    crate::state::write_atomic(path, text.as_bytes(), 0o644)
        .map_err(|e| Error::failure(format!("cannot write {}: {e}", path.display())))
}

/// Runs `systemctl` with its output captured, not inherited: a reader of ours that went
/// away must not kill it half-way with SIGPIPE. What it said goes to our stderr.
fn systemctl(args: &[&str]) -> Result<()> {
    let out = std::process::Command::new("systemctl")
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| Error::failure(format!("cannot run systemctl: {e}")))?;
    let said =
        [&out.stdout, &out.stderr].map(|text| String::from_utf8_lossy(text).trim_end().to_string());
    if !out.status.success() {
        let said: Vec<_> = said.into_iter().filter(|s| !s.is_empty()).collect();
        return Err(Error::failure(format!(
            "systemctl {} failed ({}){}",
            args.join(" "),
            out.status,
            said.iter().map(|s| format!(":\n{s}")).collect::<String>()
        )));
    }
    for text in said.iter().filter(|s| !s.is_empty()) {
        crate::say!("{text}");
    }
    Ok(())
}

/// The jobs installed in `backend`.
pub fn list(backend: &Backend) -> Vec<Job> {
    let mut jobs: Vec<Job> = std::fs::read_dir(backend.dir())
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(PREFIX)
                && match backend {
                    Backend::Cron(_) => !name.contains('.'),
                    Backend::Systemd(_) => name.ends_with(".timer"),
                }
        })
        .filter_map(|e| {
            let text = std::fs::read_to_string(e.path()).ok()?;
            let line = text.lines().find_map(|l| l.strip_prefix(MARKER))?;
            serde_json::from_str(line).ok()
        })
        .collect();
    jobs.sort_by(|a, b| a.id.cmp(&b.id));
    jobs
}

/// Removes the job `id`.
pub fn remove(backend: &Backend, id: &str) -> Result<Vec<PathBuf>> {
    let Some(job) = list(backend).into_iter().find(|j| j.id == id) else {
        let ids: Vec<String> = list(backend).into_iter().map(|j| j.id).collect();
        return Err(Error::usage(format!(
            "no schedule {id}; there are: {}",
            if ids.is_empty() {
                "none".to_string()
            } else {
                ids.join(", ")
            }
        )));
    };
    if let Backend::Systemd(_) = backend {
        let timer = format!("{PREFIX}{}.timer", job.id);
        systemctl(&["disable", "--now", &timer])?;
        // A persistent timer's record of its last run outlives it: a job added again
        // under this id would count the runs missed since and start at once.
        let stamp = Path::new(SYSTEMD_TIMER_STAMPS).join(format!("stamp-{timer}"));
        if let Err(err) = std::fs::remove_file(&stamp)
            && err.kind() != std::io::ErrorKind::NotFound
        {
            crate::say!("warning: cannot remove {}: {err}", stamp.display());
        }
    }
    let files = job.files(backend);
    for file in &files {
        std::fs::remove_file(file)
            .map_err(|e| Error::failure(format!("cannot remove {}: {e}", file.display())))?;
    }
    if let Backend::Systemd(_) = backend {
        systemctl(&["daemon-reload"])?;
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busybox_crond_is_told_apart_from_a_daemon_that_reads_cron_d() {
        let at = |p: &str| Some(std::path::PathBuf::from(p));
        assert_eq!(
            daemon_of("crond", at("/bin/busybox").as_deref()),
            Some(CronDaemon::BusyBox)
        );
        assert_eq!(
            daemon_of("crond", at("/usr/sbin/crond").as_deref()),
            Some(CronDaemon::ReadsCronD)
        );
        assert_eq!(daemon_of("cron", None), Some(CronDaemon::ReadsCronD));
        assert_eq!(daemon_of("sshd", at("/usr/sbin/sshd").as_deref()), None);
        // BusyBox's crond as Alpine starts it, seen in /proc.
        let dir = tempfile::tempdir().unwrap();
        let crond = dir.path().join("crond");
        std::os::unix::fs::symlink(std::fs::canonicalize("/bin/busybox").unwrap(), &crond).unwrap();
        std::fs::create_dir(dir.path().join("crontabs")).unwrap();
        let mut daemon = std::process::Command::new(&crond)
            .args(["-f", "-c"])
            .arg(dir.path().join("crontabs"))
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        let proc = PathBuf::from(format!("/proc/{}", daemon.id()));
        let comm = std::fs::read_to_string(proc.join("comm")).unwrap();
        let exe = std::fs::read_link(proc.join("exe")).ok();
        daemon.kill().unwrap();
        daemon.wait().unwrap();
        assert_eq!(
            daemon_of(comm.trim(), exe.as_deref()),
            Some(CronDaemon::BusyBox),
            "{comm} {exe:?}"
        );
    }

    #[test]
    fn a_cron_daemon_is_found_by_its_process_name() {
        assert!(Backend::Cron(PathBuf::from("/etc/cron.d")).is_host_cron());
        assert!(!Backend::Cron(PathBuf::from("/tmp/cron.d")).is_host_cron());
        let dir = tempfile::tempdir().unwrap();
        let cron = dir.path().join("cron");
        std::fs::copy(std::fs::canonicalize("/bin/sleep").unwrap(), &cron).unwrap();
        let mut daemon = std::process::Command::new(&cron).arg("30").spawn().unwrap();
        let found = cron_daemon();
        daemon.kill().unwrap();
        daemon.wait().unwrap();
        assert_eq!(found, CronDaemon::ReadsCronD);
    }

    fn job() -> Job {
        Job {
            id: "shop".into(),
            target: "shop".into(),
            schedule: "*/5 * * * *".into(),
            every: Some("5m".into()),
            env: vec![("XDG_STATE_HOME".into(), "/var/lib/x y".into())],
            command: vec![
                "/usr/bin/docker-safeops".into(),
                "backup".into(),
                "shop".into(),
                "--to".into(),
                "/srv/it's 100%".into(),
            ],
        }
    }

    #[test]
    fn cron_and_systemd_forms() {
        let cron = job().cron_file();
        assert!(cron.contains(
            "*/5 * * * * root XDG_STATE_HOME='/var/lib/x y' /usr/bin/docker-safeops backup shop \
             --to '/srv/it'\\''s 100\\%'\n"
        ), "{cron}");
        let (service, timer) = job().systemd_units().unwrap();
        assert!(service.contains("ExecStart=\"/usr/bin/docker-safeops\" \"backup\" \"shop\" \"--to\" \"/srv/it's 100%%\""), "{service}");
        assert!(timer.contains("OnCalendar=*-*-* *:0/5:00"), "{timer}");
        let back: Job =
            serde_json::from_str(cron.lines().next().unwrap().strip_prefix(MARKER).unwrap())
                .unwrap();
        assert_eq!(back, job());
        assert_eq!(job_id("my.app_1"), "my-app_1");
        let mut odd = job();
        odd.env = vec![("XDG_STATE_HOME".into(), "/x $y".into())];
        let (service, _) = odd.systemd_units().unwrap();
        assert!(
            service.contains("Environment=\"XDG_STATE_HOME=/x $y\""),
            "{service}"
        );
    }

    #[test]
    fn a_job_whose_timer_cannot_be_written_leaves_no_service() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the timer's temporary file goes: its write fails after
        // the service's succeeded (and before anything asks systemd).
        let timer = dir.path().join("docker-safeops-shop.timer");
        let blocker = format!("{}.{}.tmp", timer.display(), std::process::id());
        std::fs::create_dir(&blocker).unwrap();
        let backend = Backend::Systemd(dir.path().to_path_buf());
        assert!(install(&backend, &job()).is_err());
        assert!(!dir.path().join("docker-safeops-shop.service").exists());
        assert!(!timer.exists());
        assert!(list(&backend).is_empty());
    }
}
