//! `schedule add|ls|rm`: scheduled backups installed as systemd timers or cron.d files
//! (see `schedule`), listed with their next run and the last result from the audit log.

use std::time::{Duration, SystemTime};

use serde_json::json;

use crate::backup::store;
use crate::cli::args::{DockerFlags, Format, ScheduleAddArgs, ScheduleLsArgs, ScheduleRmArgs};
use crate::engine::endpoint::{self, Source};
use crate::error::{Error, Result};
use crate::guard::audit;
use crate::schedule::{self, Backend, Cron, Job};
use crate::storage::location::{Location, Repository};
use crate::storage::repository::PASSWORD_FILE_ENV;
use crate::target::Discovery;
use crate::ui::table::render;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The paths the jobs run with, made absolute: the home and state directories this
/// shell uses (so that their journal, audit log, specs and locks are the ones this
/// shell, `schedule ls` and `doctor` use: systemd runs a service without `HOME`, and
/// cron with root's), and where a repository's password, SSH key and AWS files are.
const BAKED_PATHS: &[&str] = &[
    "HOME",
    "XDG_STATE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    PASSWORD_FILE_ENV,
    "SAFEOPS_SFTP_KEY",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
];

/// The settings the jobs run with as they are. Never a secret: a job's file is there
/// for every user to read.
const BAKED_VALUES: &[&str] = &[
    "SAFEOPS_SFTP_KNOWN_HOSTS",
    crate::engine::volume_access::ACCESS_ENV,
    crate::engine::volume_access::HELPER_IMAGE_ENV,
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
];

/// Credentials a job cannot be given (see [`BAKED_VALUES`]).
const SECRET_ENV: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
];

/// Runs `schedule add`.
pub async fn add(
    discovery: &Discovery<'_>,
    docker: &DockerFlags,
    args: &ScheduleAddArgs,
) -> Result<()> {
    let cron = match (&args.every, &args.cron) {
        (Some(every), _) => {
            let every = humantime::parse_duration(every)
                .map_err(|e| Error::usage(format!("--every {every}: {e}")))?;
            Cron::every(every).map_err(Error::usage)?
        }
        (None, Some(expr)) => Cron::parse(expr).map_err(Error::usage)?,
        (None, None) => return Err(Error::usage("say when: --every DURATION or --cron EXPR")),
    };
    let next = cron
        .next_after(SystemTime::now(), &jiff::tz::TimeZone::system())
        .ok_or_else(|| {
            Error::usage(format!(
                "--cron {}: never fires (no such day in the next four years)",
                cron.text
            ))
        })?;
    // The target must exist now; a typo would only show in cron's mail. The job names
    // it as resolved (a service's container stands for its project), as the audit log
    // that `schedule ls` and doctor read names its backups.
    let target = super::single_target(discovery, Some(&args.target), "schedule")
        .await?
        .name()
        .to_string();
    let mut backup = vec!["backup".to_string(), target.clone()];
    // A location the backup would refuse must not become a plain directory of its name.
    locations(&args.backup_flags)?;
    backup.extend(absolute_paths(&args.backup_flags));
    if !args
        .backup_flags
        .iter()
        .any(|f| f == "--to" || f.starts_with("--to="))
    {
        let root = store::backup_root(None, &env)?;
        backup.extend([
            "--to".to_string(),
            absolute_location(&root.display().to_string()),
        ]);
    }
    check_unattended(&backup)?;
    let program = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map_err(|e| Error::failure(format!("cannot tell where this program is: {e}")))?;
    let mut command = vec![program.display().to_string()];
    command.extend(endpoint_flags(discovery, docker));
    command.extend(backup);
    // The whole command line must parse, as cron will run it.
    crate::cli::args::command(false)
        .try_get_matches_from(&command)
        .map_err(|e| {
            Error::usage(format!("the backup flags do not parse: {}", e.kind())).hint(
                "give `backup` flags after `--`, e.g. `schedule add shop --every 1h -- --db-dump`",
            )
        })?;
    let job = Job {
        id: schedule::job_id(&args.target),
        target,
        schedule: cron.text.clone(),
        every: args.every.clone(),
        env: BAKED_PATHS
            .iter()
            .map(|k| (k, true))
            .chain(BAKED_VALUES.iter().map(|k| (k, false)))
            .filter_map(|(k, path)| {
                env(k)
                    .filter(|v| !v.is_empty())
                    .map(|v| (k.to_string(), if path { absolute(&v) } else { v }))
            })
            .collect(),
        command,
    };
    if args.dry_run {
        let (service, timer) = job.systemd_units()?;
        return super::print(&format!(
            "# /etc/systemd/system/docker-safeops-{id}.service\n{service}\n\
             # /etc/systemd/system/docker-safeops-{id}.timer\n{timer}\n\
             # /etc/cron.d/docker-safeops-{id}\n{}",
            job.cron_file(),
            id = job.id
        ));
    }
    let backend = Backend::of_host(&env);
    // Their runs share the target's audit entries: `schedule ls` and doctor cannot
    // tell one job's failure from the other's success.
    for other in schedule::list(&backend) {
        if other.target == job.target && other.id != job.id {
            crate::say!(
                "warning: schedule {} backs up {} too: `schedule ls` and doctor show the \
                 last run of either for both",
                other.id,
                job.target
            );
        }
    }
    let files = schedule::install(&backend, &job)?;
    crate::say!(
        "scheduled backups of {} ({}), as {}: {}; next run {} (UTC)",
        job.target,
        args.every
            .as_deref()
            .map_or(cron.text.clone(), |e| format!("every {e}")),
        backend.name(),
        files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        crate::state::timestamp(next)
    );
    let host = &discovery.engine.endpoint.host;
    if host.starts_with("ssh://") {
        crate::say!(
            "note: the job reaches {host} over ssh as root, from root's ~/.ssh and without \
             an SSH agent: check that this works unattended, e.g. `sudo ssh -o \
             BatchMode=yes {host} docker version`"
        );
    }
    match backend.is_host_cron().then(schedule::cron_daemon) {
        Some(schedule::CronDaemon::None) => crate::say!(
            "warning: no cron daemon (cron, crond) runs on this host: the job runs once one \
             does (a container or WSL often starts none)"
        ),
        Some(schedule::CronDaemon::BusyBox) => crate::say!(
            "warning: BusyBox's crond (Alpine's) runs on this host, and it does not read \
             /etc/cron.d: the job never runs. Install cronie (apk add cronie; rc-update add \
             cronie; and stop BusyBox's crond), or copy the line of {} without its `root` \
             field into /etc/crontabs/root",
            files
                .first()
                .map_or_else(String::new, |f| f.display().to_string())
        ),
        _ => {}
    }
    Ok(())
}

/// A path as an absolute one: cron runs jobs from another directory.
fn absolute(path: &str) -> String {
    std::path::absolute(path)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.to_string())
}

/// A backup location as an absolute one: a plain directory's or a local repository's
/// path made absolute, a remote repository as it is.
fn absolute_location(text: &str) -> String {
    match Location::parse(text) {
        Ok(Location::Repository(Repository::Local(path))) => {
            format!("repo:{}", absolute(&path.display().to_string()))
        }
        Ok(Location::Repository(_)) => text.to_string(),
        Ok(Location::Plain(_)) | Err(_) => absolute(text),
    }
}

/// The backup flags with the values of path flags made absolute.
fn absolute_paths(flags: &[String]) -> Vec<String> {
    const PATH_FLAGS: &[&str] = &["--to", "--metrics-file", "--password-file"];
    let made_absolute = |name: &str, value: &str| match name {
        "--to" => absolute_location(value),
        _ => absolute(value),
    };
    let mut out = Vec::with_capacity(flags.len());
    let mut path_next: Option<&str> = None;
    for flag in flags {
        if let Some(name) = path_next.take() {
            out.push(made_absolute(name, flag));
            continue;
        }
        match flag.split_once('=') {
            Some((name, value)) if PATH_FLAGS.contains(&name) => {
                out.push(format!("{name}={}", made_absolute(name, value)));
            }
            _ => {
                path_next = PATH_FLAGS.iter().copied().find(|f| f == flag);
                out.push(flag.clone());
            }
        }
    }
    out
}

/// The locations the `--to` flags among the backup flags `flags` name; an error for one
/// that is not a location.
fn locations(flags: &[String]) -> Result<Vec<Location>> {
    flags
        .iter()
        .zip(flags.iter().skip(1))
        .filter(|(flag, _)| *flag == "--to")
        .map(|(_, value)| value.as_str())
        .chain(flags.iter().filter_map(|f| f.strip_prefix("--to=")))
        .map(|text| {
            Location::parse(text).map_err(|e| {
                Error::usage(e.to_string())
                    .hint("the job would back up somewhere else than meant: fix the location")
            })
        })
        .collect()
}

/// Refuses a job that cannot run unattended: a backup into a repository with no
/// password file (cron has no terminal to ask on). Says so when AWS keys from this
/// shell's environment stay behind.
fn check_unattended(backup: &[String]) -> Result<()> {
    let locations = locations(backup)?;
    let repositories: Vec<&Repository> = locations
        .iter()
        .filter_map(|l| match l {
            Location::Repository(r) => Some(r),
            Location::Plain(_) => None,
        })
        .collect();
    let has_password_file = backup
        .iter()
        .any(|f| f == "--password-file" || f.starts_with("--password-file="))
        || env(PASSWORD_FILE_ENV).is_some_and(|v| !v.is_empty());
    if let Some(repository) = repositories.first()
        && !has_password_file
    {
        return Err(Error::usage(format!(
            "a scheduled backup into {repository} needs the repository's password in a \
             file: the job has no terminal to ask on"
        ))
        .hint(format!(
            "give `-- --password-file FILE` or set {PASSWORD_FILE_ENV} (a file only root \
             can read)"
        )));
    }
    let on_s3 = repositories
        .iter()
        .any(|r| matches!(r, Repository::S3 { .. }));
    let secrets: Vec<&str> = SECRET_ENV
        .iter()
        .copied()
        .filter(|k| env(k).is_some())
        .collect();
    if on_s3 && !secrets.is_empty() {
        crate::say!(
            "note: the job does not carry {} from this shell (its file is readable by every \
             user): give root the credentials in ~/.aws/credentials, or name a profile \
             with AWS_PROFILE",
            secrets.join(", ")
        );
    }
    Ok(())
}

/// How the jobs reach this engine: the context (with its config directory) it was
/// chosen by, else its host and TLS material.
fn endpoint_flags(discovery: &Discovery<'_>, docker: &DockerFlags) -> Vec<String> {
    let endpoint = &discovery.engine.endpoint;
    match endpoint.source {
        Source::ContextFlag | Source::DockerContextEnv | Source::ConfigFile(_) => {
            let config = endpoint::config_dir(&docker.connect_options(), &env);
            // Absolute: cron runs the job from another directory.
            vec![
                "--config".into(),
                absolute(&config.display().to_string()),
                "--context".into(),
                endpoint.context.clone(),
            ]
        }
        _ => {
            let mut flags = vec!["-H".to_string(), endpoint.host.clone()];
            if let Some(tls) = &endpoint.tls {
                flags.push(if tls.verify { "--tlsverify" } else { "--tls" }.into());
                for (flag, path) in [
                    ("--tlscacert", &tls.ca),
                    ("--tlscert", &tls.cert),
                    ("--tlskey", &tls.key),
                ] {
                    flags.extend([flag.to_string(), absolute(&path.display().to_string())]);
                }
            }
            flags
        }
    }
}

/// The last backup of a job's target, from the audit log.
#[derive(Debug, Clone, Default, serde::Serialize)]
struct LastRun {
    time: String,
    outcome: String,
    seconds: Option<f64>,
}

fn last_run(target: &str) -> Option<LastRun> {
    let entry = audit::last("backup", target)?;
    Some(LastRun {
        time: entry.time,
        outcome: entry.event["outcome"].as_str().unwrap_or("?").to_string(),
        seconds: entry.event["seconds"].as_f64(),
    })
}

/// Runs `schedule ls`.
pub fn ls(args: &ScheduleLsArgs) -> Result<()> {
    let backend = Backend::of_host(&env);
    let jobs = schedule::list(&backend);
    let now = SystemTime::now();
    let zone = jiff::tz::TimeZone::system();
    let rows: Vec<(Job, Option<String>, Option<LastRun>)> = jobs
        .into_iter()
        .map(|job| {
            let next = Cron::parse(&job.schedule)
                .ok()
                .and_then(|c| c.next_after(now, &zone))
                .map(crate::state::timestamp);
            let last = last_run(&job.target);
            (job, next, last)
        })
        .collect();
    let text = match args.format {
        Format::Json => {
            let list: Vec<serde_json::Value> = rows
                .iter()
                .map(|(job, next, last)| {
                    json!({
                        "id": job.id, "target": job.target, "schedule": job.schedule,
                        "every": job.every, "backend": backend.name(), "next_run": next,
                        "last_run": last,
                        "command": job.shell_command(),
                    })
                })
                .collect();
            format!("{:#}\n", json!(list))
        }
        Format::Table if rows.is_empty() => format!("no scheduled backups ({})\n", backend.name()),
        Format::Table => render(
            "",
            &[
                "ID",
                "TARGET",
                "SCHEDULE",
                "NEXT RUN (UTC)",
                "LAST RUN",
                "RESULT",
                "TOOK",
            ],
            &rows
                .iter()
                .map(|(job, next, last)| {
                    let LastRun {
                        time,
                        outcome,
                        seconds,
                    } = last.clone().unwrap_or_default();
                    vec![
                        job.id.clone(),
                        job.target.clone(),
                        job.every
                            .as_ref()
                            .map_or(job.schedule.clone(), |e| format!("every {e}")),
                        next.clone().unwrap_or_else(|| "-".into()),
                        if time.is_empty() {
                            "never".into()
                        } else {
                            time
                        },
                        crate::ui::table::printable(&outcome).into_owned(),
                        seconds.map_or("-".into(), |s| {
                            humantime::format_duration(Duration::from_secs(s.round() as u64))
                                .to_string()
                        }),
                    ]
                })
                .collect::<Vec<_>>(),
        ),
    };
    super::print(&text)
}

/// Runs `schedule rm`.
pub fn rm(args: &ScheduleRmArgs) -> Result<()> {
    let backend = Backend::of_host(&env);
    let files = schedule::remove(&backend, &args.id)?;
    crate::say!(
        "removed the schedule {}: {}",
        args.id,
        files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_paths_are_absolute_and_remote_repositories_untouched() {
        let cwd = std::env::current_dir().unwrap().display().to_string();
        let flags: Vec<String> = [
            "--to",
            "rel",
            "--to=repo:r",
            "--to",
            "s3:https://host/bucket/prefix",
            "--to",
            "sftp:u@h:/srv/r",
            "--password-file",
            "pw",
            "--keep",
            "3",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            absolute_paths(&flags),
            [
                "--to".to_string(),
                format!("{cwd}/rel"),
                format!("--to=repo:{cwd}/r"),
                "--to".into(),
                "s3:https://host/bucket/prefix".into(),
                "--to".into(),
                "sftp:u@h:/srv/r".into(),
                "--password-file".into(),
                format!("{cwd}/pw"),
                "--keep".into(),
                "3".into(),
            ]
        );
    }
}
