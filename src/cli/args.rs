//! The command-line definition: Docker's global flags, compose's project options and
//! the verbs. Parsing only; the verbs live in `commands/`.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

use crate::compose::project::ProjectOptions;
use crate::engine::endpoint::ConnectOptions;

/// The command line as parsed and as `--help` shows it, named the way it was invoked
/// (`docker safeops` as a plugin).
pub fn command(as_plugin: bool) -> clap::Command {
    use clap::CommandFactory;
    Cli::command().bin_name(if as_plugin {
        "docker safeops"
    } else {
        "docker-safeops"
    })
}

/// Make dangerous day-2 Docker operations safe.
#[derive(Debug, Parser)]
#[command(
    name = "docker-safeops",
    version,
    about = "Guarded volume-destroying verbs, verified backups and safe restores for Docker hosts",
    long_about = None,
    disable_help_subcommand = true,
    after_help = "Docker's global options are accepted too, as with `docker`: -c/--context NAME, \
-H/--host HOST, --config DIR, -D/--debug, -l/--log-level LEVEL, --tls, --tlsverify, \
--tlscacert FILE, --tlscert FILE, --tlskey FILE.",
)]
pub struct Cli {
    /// Docker's global options (also accepted before `safeops` when run by the Docker CLI).
    #[command(flatten)]
    pub docker: DockerFlags,
    /// Compose project options; they come before the verb, as with `docker compose`.
    #[command(flatten)]
    pub project: ProjectFlags,
    /// The verb to run.
    #[command(subcommand)]
    pub verb: Verb,
}

impl Cli {
    /// Applies compose's global `--dry-run` (before the verb) to the verb: a verb with a
    /// dry run of its own makes one, a verb that only reads ignores it, and any other
    /// refuses it (exit 2), which it would not honour: it changes things.
    pub fn apply_dry_run(&mut self) -> crate::error::Result<()> {
        if !self.project.dry_run {
            return Ok(());
        }
        match &mut self.verb {
            Verb::Down(DownArgs { guard, .. })
            | Verb::Rm(RmArgs { guard, .. })
            | Verb::Volume(VolumeVerb::Rm(VolumeRmArgs { guard, .. }))
            | Verb::Volume(VolumeVerb::Prune(VolumePruneArgs { guard, .. })) => {
                guard.dry_run = true
            }
            Verb::Images(ImagesVerb::Prune(args)) => args.dry_run = true,
            Verb::Release(args) => args.dry_run = true,
            Verb::Adopt(args) => args.dry_run = true,
            Verb::Schedule(ScheduleVerb::Add(args)) => args.dry_run = true,
            Verb::Status(_)
            | Verb::Backups(BackupsArgs { action: None, .. })
            | Verb::Verify(_)
            | Verb::Log(_)
            | Verb::Doctor(_)
            | Verb::Completions(_)
            | Verb::ShellInit(_)
            | Verb::Schedule(ScheduleVerb::Ls(_)) => {}
            _ => {
                return Err(crate::error::Error::usage(
                    "--dry-run: this verb has no dry run, and it changes things",
                )
                .hint(
                    "--dry-run prints the plan of down, rm, volume rm|prune, images prune, \
                     release, adopt and schedule add; run this one without it",
                ));
            }
        }
        Ok(())
    }
}

/// The Docker CLI's global flags, with the same names and meaning.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Docker options")]
pub struct DockerFlags {
    /// Location of client config files (default ~/.docker)
    #[arg(long = "config", value_name = "DIR", global = true, hide = true)]
    pub config: Option<PathBuf>,
    /// Name of the context to use to connect to the daemon
    #[arg(
        short = 'c',
        long = "context",
        value_name = "NAME",
        global = true,
        hide = true
    )]
    pub context: Option<String>,
    /// Enable debug mode (same as --log-level debug)
    #[arg(short = 'D', long = "debug", global = true, hide = true)]
    pub debug: bool,
    /// Daemon socket to connect to
    #[arg(
        short = 'H',
        long = "host",
        value_name = "HOST",
        global = true,
        hide = true
    )]
    pub host: Vec<String>,
    /// Set the logging level
    #[arg(
        short = 'l',
        long = "log-level",
        value_enum,
        value_name = "LEVEL",
        global = true,
        hide = true
    )]
    pub log_level: Option<LogLevel>,
    /// Use TLS; implied by --tlsverify
    #[arg(long = "tls", global = true, hide = true)]
    pub tls: bool,
    /// Use TLS and verify the remote
    #[arg(long = "tlsverify", global = true, hide = true)]
    pub tlsverify: bool,
    /// Trust certs signed only by this CA
    #[arg(long = "tlscacert", value_name = "FILE", global = true, hide = true)]
    pub tlscacert: Option<PathBuf>,
    /// Path to TLS certificate file
    #[arg(long = "tlscert", value_name = "FILE", global = true, hide = true)]
    pub tlscert: Option<PathBuf>,
    /// Path to TLS key file
    #[arg(long = "tlskey", value_name = "FILE", global = true, hide = true)]
    pub tlskey: Option<PathBuf>,
}

/// A boolean option's value written out (`--volumes=false`), as Docker's options take
/// it (Go's `strconv.ParseBool`).
fn docker_bool(text: &str) -> std::result::Result<bool, String> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!("{text:?} is not true or false")),
    }
}

/// Log levels, as the Docker CLI spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogLevel {
    /// Everything, including each engine request.
    Debug,
    /// Progress of long operations.
    Info,
    /// Only warnings and errors (the default).
    #[value(alias = "warning")]
    Warn,
    /// Only errors.
    Error,
    /// Only errors.
    Fatal,
}

/// Compose's project options, with the same names and meaning as `docker compose`.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Project options")]
pub struct ProjectFlags {
    /// Compose configuration files
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Project name
    #[arg(short = 'p', long = "project-name", value_name = "NAME")]
    pub project_name: Option<String>,
    /// Alternate working directory (default: the directory of the first compose file)
    #[arg(long = "project-directory", value_name = "DIR")]
    pub project_directory: Option<PathBuf>,
    /// Alternate environment files
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,
    /// Profiles to enable
    #[arg(long = "profile", value_name = "PROFILE")]
    pub profiles: Vec<String>,
    /// Control when to print ANSI control characters (passed to compose)
    #[arg(long = "ansi", value_name = "WHEN")]
    pub ansi: Option<String>,
    /// Set type of progress output (passed to compose)
    #[arg(long = "progress", value_name = "TYPE")]
    pub progress: Option<String>,
    /// Control max parallelism (passed to compose)
    #[arg(long = "parallel", value_name = "N", allow_negative_numbers = true)]
    pub parallel: Option<i64>,
    /// Run compose in backward compatibility mode (passed to compose)
    #[arg(long = "compatibility")]
    pub compatibility: bool,
    /// Execute the verb in dry run mode: print the plan and change nothing
    #[arg(long = "dry-run")]
    pub dry_run: bool,
}

impl ProjectFlags {
    /// The options for the compose layer.
    pub fn options(&self) -> ProjectOptions {
        let mut compose_globals = Vec::new();
        for (flag, value) in [("--ansi", &self.ansi), ("--progress", &self.progress)] {
            if let Some(value) = value {
                compose_globals.extend([flag.to_string(), value.clone()]);
            }
        }
        if let Some(parallel) = self.parallel {
            compose_globals.extend(["--parallel".to_string(), parallel.to_string()]);
        }
        if self.compatibility {
            compose_globals.push("--compatibility".into());
        }
        if self.dry_run {
            compose_globals.push("--dry-run".into());
        }
        ProjectOptions {
            files: self.files.clone(),
            project_name: self.project_name.clone(),
            project_directory: self.project_directory.clone(),
            env_files: self.env_files.clone(),
            profiles: self.profiles.clone(),
            compose_globals,
        }
    }
}

impl DockerFlags {
    /// The connection options for the engine layer.
    pub fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            config: self.config.clone(),
            context: self.context.clone(),
            host: self.host.clone(),
            tls: self.tls,
            tlsverify: self.tlsverify,
            tlscacert: self.tlscacert.clone(),
            tlscert: self.tlscert.clone(),
            tlskey: self.tlskey.clone(),
        }
    }
}

/// Where backups are: one concept for every verb that writes or reads them.
#[derive(Debug, Clone, Default, Args)]
pub struct LocationFlags {
    /// Backup directory [default: $SAFEOPS_BACKUP_DIR, else the policy file's
    /// `[backup] to`, else ~/.local/share/docker-safeops/backups]
    #[arg(long = "to", value_name = "DIR")]
    pub to: Option<PathBuf>,
}

/// The password of the repositories a verb reads or writes.
#[derive(Debug, Clone, Default, Args)]
pub struct RepositoryFlags {
    /// For a repository: read its password from this file, all of it, trimmed, as
    /// restic reads it (every repository of the run) [default:
    /// $SAFEOPS_REPOSITORY_PASSWORD_FILE, else a prompt]
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

/// How long a verb lets containers stop before the engine kills them.
#[derive(Debug, Clone, Args)]
pub struct StopFlags {
    /// Seconds each container gets to stop before it is killed
    #[arg(
        short = 't',
        long = "timeout",
        value_name = "SECONDS",
        default_value_t = 10
    )]
    pub timeout: i32,
}

/// How long a container being replaced gets to stop before the engine kills it.
#[derive(Debug, Clone, Args)]
pub struct ReplaceStopFlags {
    /// Seconds the container gets to stop before it is killed [default: its own stop
    /// timeout (`docker run --stop-timeout`, compose's `stop_grace_period`), else 10]
    #[arg(short = 't', long = "timeout", value_name = "SECONDS")]
    pub timeout: Option<i32>,
}

/// Where metrics go.
#[derive(Debug, Clone, Default, Args)]
pub struct MetricsFlags {
    /// Write Prometheus metrics (node_exporter textfile format) to FILE after the run
    /// [default: the policy file's `[metrics] file`]
    #[arg(long = "metrics-file", value_name = "FILE")]
    pub metrics_file: Option<PathBuf>,
}

/// Waiting for another operation on the same volumes.
#[derive(Debug, Clone, Default, Args)]
pub struct LockFlags {
    /// Wait up to SECONDS for another safeops operation on the same volumes to finish
    /// (default: fail at once, naming it)
    #[arg(long = "wait-lock", value_name = "SECONDS")]
    pub wait_lock: Option<u64>,
}

impl LockFlags {
    /// How long to wait for a lock.
    pub fn wait(&self) -> Option<std::time::Duration> {
        self.wait_lock.map(std::time::Duration::from_secs)
    }
}

/// Output formats for verbs that print a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// Aligned tables for people.
    #[default]
    Table,
    /// One JSON document for scripts.
    Json,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Verb {
    /// Show targets, their mode, containers and volumes with protection, size and last backup
    Status(StatusArgs),
    /// Make a verified backup of a project's or container's volumes, specs and files
    Backup(BackupArgs),
    /// List backups, newest first
    Backups(BackupsArgs),
    /// Check a backup's integrity without restoring it
    Verify(VerifyArgs),
    /// Restore volumes (and images) from a verified backup
    Restore(RestoreArgs),
    /// Stop and remove the project's containers and networks (`compose down`), guarded:
    /// protected volumes are only destroyed after confirmation and a safety backup
    Down(DownArgs),
    /// Restart services or containers, then check that they run (and are healthy) and stay up
    Restart(LifecycleArgs),
    /// Stop services or containers (compose's `stop` in compose mode)
    Stop(LifecycleArgs),
    /// Start services or containers, then check that they run and stay up
    Start(LifecycleArgs),
    /// Remove containers (`docker rm`), guarded when -v would remove protected volumes
    Rm(RmArgs),
    /// Manage volumes (`volume rm`, `volume prune`), guarded
    #[command(subcommand)]
    Volume(VolumeVerb),
    /// Recreate a container from its spec (optionally on another image); bootstraps one
    /// that no longer exists from its saved spec or a backup
    Recreate(RecreateArgs),
    /// Recreate a container on the previous image recorded in its spec history
    Rollback(RollbackArgs),
    /// Image retention (`images prune`)
    #[command(subcommand)]
    Images(ImagesVerb),
    /// Protect volumes against destructive verbs (written to the policy file)
    Protect(ProtectArgs),
    /// Mark volumes disposable: no confirmation needed to destroy them
    Unprotect(UnprotectArgs),
    /// Show the audit log of guarded operations, backups and restores
    Log(LogArgs),
    /// Write a compose file for containers started with `docker run` (volumes and
    /// networks external, secrets in .env)
    Export(ExportArgs),
    /// Replace `docker run` containers by a compose project made from them (safe order,
    /// health gate, the old ones back on failure)
    Adopt(AdoptArgs),
    /// Move an image from another engine without a registry (only the layers this
    /// engine lacks), switch containers or compose services over to it, check them, and
    /// roll back when it fails
    Release(ReleaseArgs),
    /// Scheduled backups as systemd timers or cron.d entries (`add`, `ls`, `rm`)
    #[command(subcommand)]
    Schedule(ScheduleVerb),
    /// Restore a backup into scratch volumes, start its services in isolation, check
    /// them, measure the recovery time, remove everything (exit 1 when it failed)
    Drill(DrillArgs),
    /// Find what is broken: containers, mounts, network and firewall, backup age,
    /// probes, environment mix-ups (exit 1 when a check fails)
    Doctor(DoctorArgs),
    /// Print shell functions that route `docker compose down|restart`, `docker-compose`
    /// and `docker volume rm` through safeops (eval it in your shell's rc file)
    ShellInit(ShellInitArgs),
    /// Print a shell completion script (bash, zsh or fish)
    Completions(CompletionsArgs),
}

impl Verb {
    /// Verbs that stop containers or write backups handle Ctrl-C themselves: they must
    /// restart what they stopped and delete what they half-wrote before exiting.
    pub fn handles_cancellation(&self) -> bool {
        matches!(
            self,
            Verb::Backup(_)
                | Verb::Restore(_)
                | Verb::Down(_)
                | Verb::Volume(_)
                | Verb::Rm(_)
                | Verb::Adopt(_)
                | Verb::Drill(_)
                | Verb::Release(_)
                | Verb::Recreate(_)
                | Verb::Rollback(_)
        )
    }
}

/// Arguments of `backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// A compose project name or a container name (default: the project of the
    /// compose file in this directory)
    pub target: Option<String>,
    /// Backup directory or repository [default: $SAFEOPS_BACKUP_DIR, else the policy
    /// file's `[backup] to`, else ~/.local/share/docker-safeops/backups]; repeatable for
    /// repositories: one run writes the same snapshot into each
    #[arg(long = "to", value_name = "LOCATION")]
    pub to: Vec<PathBuf>,
    /// The password of a repository
    #[command(flatten)]
    pub repository: RepositoryFlags,
    /// Metrics
    #[command(flatten)]
    pub metrics: MetricsFlags,
    /// Also export the containers' images
    #[arg(long)]
    pub images: bool,
    /// Do not stop the containers that use the volumes (the copy may be inconsistent)
    #[arg(long)]
    pub no_quiesce: bool,
    /// Dump PostgreSQL/MySQL/MariaDB containers through exec, while they run
    #[arg(long)]
    pub db_dump: bool,
    /// Keep only the newest N backups of this target (older ones are deleted after
    /// the new one is verified)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep: Option<u32>,
    /// Also delete backups of this target older than D days (after the new one is verified;
    /// the newest backup is never deleted)
    #[arg(long, value_name = "D", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep_days: Option<u32>,
    /// How long containers get to stop
    #[command(flatten)]
    pub stop: StopFlags,
    /// zstd compression level of the plain backup: 1 is fastest (shortest downtime), 19
    /// smallest [default: 1]; a repository compresses at the level it was created with
    /// (`backups init --compression-level`)
    #[arg(long, value_name = "LEVEL", value_parser = clap::value_parser!(i32).range(1..=19))]
    pub compression_level: Option<i32>,
    /// Lock waiting
    #[command(flatten)]
    pub lock: LockFlags,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Arguments of `down`, with compose's flags.
#[derive(Debug, Args)]
pub struct DownArgs {
    /// Only these services
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Remove named volumes declared in the project and anonymous volumes attached to
    /// containers (protected ones only after confirmation and a safety backup)
    #[arg(short = 'v', long = "volumes", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", hide_default_value = true,
          value_name = "BOOL", value_parser = docker_bool, action = ArgAction::Set)]
    pub volumes: bool,
    /// Remove images used by services: "local" (no custom tag) or "all"
    #[arg(long, value_name = "TYPE", value_parser = ["local", "all"])]
    pub rmi: Option<String>,
    /// Remove containers for services not defined in the compose file
    #[arg(long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", hide_default_value = true,
          value_name = "BOOL", value_parser = docker_bool, action = ArgAction::Set)]
    pub remove_orphans: bool,
    /// Shutdown timeout in seconds
    #[arg(short = 't', long = "timeout", value_name = "SECONDS")]
    pub timeout: Option<i32>,
    /// What every guarded removal accepts
    #[command(flatten)]
    pub guard: GuardFlags,
}

/// Arguments of `restart`, `stop` and `start`.
#[derive(Debug, Args)]
pub struct LifecycleArgs {
    /// Services of the project here (or of -p), else container names
    #[arg(value_name = "SERVICE|CONTAINER")]
    pub names: Vec<String>,
    /// Seconds to wait for each container to stop before killing it
    #[arg(short = 't', long = "timeout", value_name = "SECONDS")]
    pub timeout: Option<i32>,
    /// Longest wait for the containers to run (and be healthy, with a healthcheck)
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub wait_timeout: u64,
    /// How long each container must then stay up without exiting or restarting
    #[arg(long, value_name = "SECONDS", default_value_t = 3)]
    pub stable_for: u64,
    /// Waiting for a backup or restore of their volumes
    #[command(flatten)]
    pub lock: LockFlags,
}

/// `volume` subcommands.
#[derive(Debug, Subcommand)]
pub enum VolumeVerb {
    /// Remove volumes (protected ones only after confirmation and a safety backup)
    #[command(alias = "remove")]
    Rm(VolumeRmArgs),
    /// Remove unused volumes (anonymous ones; named ones too with --all), guarded
    Prune(VolumePruneArgs),
}

/// The flags every guarded removal shares.
#[derive(Debug, Args)]
pub struct GuardFlags {
    /// Print what would be removed and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Confirm destroying protected volumes without a terminal: what the prompt asks for
    /// (`down`: the project name; otherwise the volume name, several joined by commas)
    #[arg(long, value_name = "NAME")]
    pub confirm: Option<String>,
    /// Do not take a safety backup of protected volumes first (part of what is confirmed)
    #[arg(long)]
    pub no_backup: bool,
    /// Lock waiting
    #[command(flatten)]
    pub lock: LockFlags,
    /// Where backups are
    #[command(flatten)]
    pub location: LocationFlags,
    /// The password of a repository the safety backup goes into
    #[command(flatten)]
    pub repository: RepositoryFlags,
    /// Output format (the plan with --dry-run, else what was done)
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Arguments of `volume prune`, with `docker volume prune`'s flags.
#[derive(Debug, Args)]
pub struct VolumePruneArgs {
    /// Remove all unused volumes, not just anonymous ones
    #[arg(short = 'a', long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", hide_default_value = true,
          value_name = "BOOL", value_parser = docker_bool, action = ArgAction::Set)]
    pub all: bool,
    /// Do not prompt for confirmation (protected volumes still need theirs)
    #[arg(short = 'f', long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", hide_default_value = true,
          value_name = "BOOL", value_parser = docker_bool, action = ArgAction::Set)]
    pub force: bool,
    /// What every guarded removal accepts
    #[command(flatten)]
    pub guard: GuardFlags,
}

/// Arguments of `rm`, with `docker rm`'s flags.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// Containers
    #[arg(value_name = "CONTAINER", required = true)]
    pub containers: Vec<String>,
    /// Force the removal of a running container
    #[arg(short = 'f', long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", hide_default_value = true,
          value_name = "BOOL", value_parser = docker_bool, action = ArgAction::Set)]
    pub force: bool,
    /// Remove anonymous volumes associated with the containers
    #[arg(short = 'v', long = "volumes", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", hide_default_value = true,
          value_name = "BOOL", value_parser = docker_bool, action = ArgAction::Set)]
    pub volumes: bool,
    /// What every guarded removal accepts
    #[command(flatten)]
    pub guard: GuardFlags,
}

/// Arguments of `volume rm`, with `docker volume rm`'s flags.
#[derive(Debug, Args)]
pub struct VolumeRmArgs {
    /// Volume names
    #[arg(value_name = "VOLUME", required = true)]
    pub volumes: Vec<String>,
    /// Force the removal of one or more volumes
    #[arg(short = 'f', long, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", hide_default_value = true,
          value_name = "BOOL", value_parser = docker_bool, action = ArgAction::Set)]
    pub force: bool,
    /// What every guarded removal accepts
    #[command(flatten)]
    pub guard: GuardFlags,
}

/// Arguments of `recreate`.
#[derive(Debug, Args)]
pub struct RecreateArgs {
    /// The container name
    pub container: String,
    /// Run it on this image (already on the engine) instead of its own
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// Where to take the spec of a container that no longer exists: a backup directory
    /// or a spec file (default: its newest saved spec)
    #[arg(long, value_name = "BACKUP|FILE")]
    pub from: Option<PathBuf>,
    /// Image pull policy: safeops never pulls
    #[arg(long, value_name = "POLICY", value_parser = ["never"], default_value = "never")]
    pub pull: String,
    /// Run a spec taken with --from even though it reaches into the host (bind mounts,
    /// privileged, capabilities, devices, host namespaces); needs confirmation
    #[arg(long)]
    pub trust_spec: bool,
    /// Confirm --trust-spec without a terminal: the container name
    #[arg(long, value_name = "NAME")]
    pub confirm: Option<String>,
    /// How long containers get to stop
    #[command(flatten)]
    pub stop: ReplaceStopFlags,
    /// Waiting for a backup or restore of its volumes
    #[command(flatten)]
    pub lock: LockFlags,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Arguments of `release`.
#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// Containers (run mode) or compose services (compose mode) on this engine
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
    /// The engine the image comes from: a context name or an address (unix://, tcp://,
    /// ssh://)
    #[arg(long, value_name = "ENGINE", required = true)]
    pub from: String,
    /// The image to release, as the source engine names it [default: the image the
    /// same-named container runs there]
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,
    /// Show the plan (image, layers to send, containers, rollback points); change
    /// nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Keep a container that fails its checks on the new image instead of going back
    #[arg(long)]
    pub no_rollback: bool,
    /// How long a switched container must stay up before it counts as released
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = humantime::parse_duration)]
    pub stable_for: std::time::Duration,
    /// Waiting for another safeops operation on the same containers
    #[command(flatten)]
    pub lock: LockFlags,
    /// How long containers get to stop
    #[command(flatten)]
    pub stop: ReplaceStopFlags,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Arguments of `rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The container name
    pub container: String,
    /// Roll back to this image instead of the previous one
    #[arg(long, value_name = "IMAGE")]
    pub to: Option<String>,
    /// How long containers get to stop
    #[command(flatten)]
    pub stop: ReplaceStopFlags,
    /// Waiting for a backup or restore of its volumes
    #[command(flatten)]
    pub lock: LockFlags,
}

/// `images` subcommands.
#[derive(Debug, Subcommand)]
pub enum ImagesVerb {
    /// Remove unused images, keeping used ones, the newest tags and rollback points
    Prune(ImagesPruneArgs),
}

/// Arguments of `images prune`.
#[derive(Debug, Args)]
pub struct ImagesPruneArgs {
    /// Keep the newest N tags of every repository
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub keep: usize,
    /// Print the plan and remove nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Output format of --dry-run
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Arguments of `protect`.
#[derive(Debug, Args)]
pub struct ProtectArgs {
    /// Volume names
    #[arg(value_name = "VOLUME", required = true)]
    pub volumes: Vec<String>,
    /// Why, shown by `status` and in confirmations
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Also for volumes that do not exist (yet) on this engine
    #[arg(long)]
    pub allow_missing: bool,
}

/// Arguments of `unprotect`.
#[derive(Debug, Args)]
pub struct UnprotectArgs {
    /// Volume names
    #[arg(value_name = "VOLUME", required = true)]
    pub volumes: Vec<String>,
    /// Remove the volumes from the policy file instead: the other rules (labels,
    /// x-safeops, the default) decide again
    #[arg(long = "default")]
    pub to_default: bool,
    /// Also for volumes that do not exist on this engine
    #[arg(long)]
    pub allow_missing: bool,
}

/// `schedule` verbs.
#[derive(Debug, Subcommand)]
pub enum ScheduleVerb {
    /// Schedule backups of a target: `schedule add TARGET --every 1h [-- BACKUP FLAGS...]`
    Add(ScheduleAddArgs),
    /// List scheduled backups with their next run and last result
    Ls(ScheduleLsArgs),
    /// Remove a scheduled backup
    Rm(ScheduleRmArgs),
}

/// Arguments of `schedule add`.
#[derive(Debug, Args)]
pub struct ScheduleAddArgs {
    /// A compose project name or a container name
    pub target: String,
    /// Run every DURATION (whole minutes dividing an hour, hours dividing a day, 1d)
    #[arg(
        long,
        value_name = "DURATION",
        conflicts_with = "cron",
        required_unless_present = "cron"
    )]
    pub every: Option<String>,
    /// Run at the times of a cron expression (`MIN HOUR DOM MONTH DOW`)
    #[arg(long, value_name = "EXPR")]
    pub cron: Option<String>,
    /// Print the systemd units and the cron.d file; install nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Flags for each `backup` run, after `--` (e.g. `-- --db-dump --keep 7
    /// --wait-lock 600`); `--to` defaults to today's backup location
    #[arg(last = true, value_name = "BACKUP FLAGS")]
    pub backup_flags: Vec<String>,
}

/// Arguments of `schedule ls`.
#[derive(Debug, Args)]
pub struct ScheduleLsArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Arguments of `schedule rm`.
#[derive(Debug, Args)]
pub struct ScheduleRmArgs {
    /// The schedule's id (`schedule ls` shows it)
    pub id: String,
}

/// Arguments of `drill`.
#[derive(Debug, Args)]
pub struct DrillArgs {
    /// A backup (id or directory), or a target whose newest sound backup is drilled
    /// (default: the project of the compose file here)
    #[arg(value_name = "TARGET|BACKUP")]
    pub what: Option<String>,
    /// Where backups are
    #[command(flatten)]
    pub location: LocationFlags,
    /// The password of a repository
    #[command(flatten)]
    pub repository: RepositoryFlags,
    /// Lock waiting
    #[command(flatten)]
    pub lock: LockFlags,
    /// Metrics
    #[command(flatten)]
    pub metrics: MetricsFlags,
    /// Leave the drill's containers, volumes and network running (prints how to remove
    /// them)
    #[arg(long)]
    pub keep_running: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Arguments of `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The containers (started with `docker run`)
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
    /// The project name to write into the file (`name:`)
    #[arg(short = 'p', long = "project-name", value_name = "NAME")]
    pub project: Option<String>,
    /// Write the compose file here (default: stdout); the .env file goes beside it
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Output format: the compose file, or a JSON report holding it
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Arguments of `adopt`.
#[derive(Debug, Args)]
pub struct AdoptArgs {
    /// The containers (started with `docker run`)
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
    /// The compose project they become
    #[arg(
        short = 'p',
        long = "project-name",
        value_name = "NAME",
        required = true
    )]
    pub project: String,
    /// The project directory for compose.yaml and .env (default: ./PROJECT)
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Show the compose file and the plan; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// How long containers get to stop
    #[command(flatten)]
    pub stop: StopFlags,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Arguments of `doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// A compose project name or a container name (default: the project of the
    /// compose file in this directory, else every target on the engine)
    pub target: Option<String>,
    /// Run only this check (repeatable); `--list-checks` lists them
    #[arg(long = "check", value_name = "ID", value_enum)]
    pub checks: Vec<crate::doctor::CheckId>,
    /// List the checks and exit
    #[arg(long)]
    pub list_checks: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Warnings fail too (exit 1)
    #[arg(long)]
    pub strict: bool,
    /// Also write a diagnosis bundle (tar.gz, secrets redacted) to FILE
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Where backups are
    #[command(flatten)]
    pub location: LocationFlags,
    /// A repository's password
    #[command(flatten)]
    pub repository: RepositoryFlags,
}

/// Arguments of `log`.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// Check the hash chain, and the log against the heads recorded beside it and in
    /// the manifest of every backup (or snapshot) this host made; name the first problem
    /// (exit 4)
    #[arg(long)]
    pub verify: bool,
    /// Where backups are
    #[command(flatten)]
    pub location: LocationFlags,
    /// A repository's password
    #[command(flatten)]
    pub repository: RepositoryFlags,
    /// Only the last N entries
    #[arg(short = 'n', long = "tail", value_name = "N")]
    pub tail: Option<usize>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Arguments of `backups`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BackupsArgs {
    /// `init`: create a repository
    #[command(subcommand)]
    pub action: Option<BackupsAction>,
    /// Only backups of this project, container or volume
    pub target: Option<String>,
    /// Where backups are
    #[command(flatten)]
    pub location: LocationFlags,
    /// The password of a repository
    #[command(flatten)]
    pub repository: RepositoryFlags,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// What `backups` does besides listing.
#[derive(Debug, Subcommand)]
pub enum BackupsAction {
    /// Create a restic-format repository (repo:/PATH, s3:https://HOST/BUCKET/PREFIX,
    /// sftp:USER@HOST:/PATH); its password is asked for, or read from --password-file
    Init(BackupsInitArgs),
}

/// Arguments of `backups init`.
#[derive(Debug, Args)]
pub struct BackupsInitArgs {
    /// Where the repository goes, in restic's syntax
    #[arg(value_name = "LOCATION")]
    pub location: String,
    /// zstd compression level of everything written into it, by every backup: 1 is
    /// fastest, 19 smallest [default: zstd's own, 3]
    #[arg(long, value_name = "LEVEL", value_parser = clap::value_parser!(i32).range(1..=19))]
    pub compression_level: Option<i32>,
    /// Its password
    #[command(flatten)]
    pub repository: RepositoryFlags,
}

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A backup directory, or the name of one in the backup directory (with --to
    /// REPOSITORY: a snapshot id or a unique prefix of one)
    pub backup: PathBuf,
    /// Where backups are
    #[command(flatten)]
    pub location: LocationFlags,
    /// The password of a repository
    #[command(flatten)]
    pub repository: RepositoryFlags,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Arguments of `restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A backup directory, or the name of one in the backup directory; with --to
    /// REPOSITORY, a snapshot id (or a unique prefix of one)
    pub backup: PathBuf,
    /// Restore only this volume; NAME:NEW restores it into the volume NEW (repeatable)
    #[arg(long = "volume", value_name = "NAME[:NEW]")]
    pub volumes: Vec<String>,
    /// Confirm overwriting volumes that hold data, without a terminal: the volume
    /// name when one volume is restored, else the backup's target name
    #[arg(long, value_name = "NAME")]
    pub confirm: Option<String>,
    /// Do not start the containers again after restoring
    #[arg(long)]
    pub no_start: bool,
    /// Restore device nodes, FIFOs, setuid/setgid bits and file capabilities also into a
    /// volume other than the one backed up, or from a backup this host did not make
    /// (they are left out then otherwise)
    #[arg(long)]
    pub preserve_special: bool,
    /// Create volume NAME with the driver and options the backup records even though
    /// they reach outside the engine's own storage (a bind `device`, NFS, a plugin
    /// driver); needs confirmation like overwriting data (repeatable)
    #[arg(long = "trust-volume-options", value_name = "NAME")]
    pub trust_volume_options: Vec<String>,
    /// Also load the backup's images into the engine
    #[arg(long)]
    pub images: bool,
    /// How long containers get to stop
    #[command(flatten)]
    pub stop: StopFlags,
    /// Lock waiting
    #[command(flatten)]
    pub lock: LockFlags,
    /// Where backups are
    #[command(flatten)]
    pub location: LocationFlags,
    /// The password of a repository
    #[command(flatten)]
    pub repository: RepositoryFlags,
    /// Metrics
    #[command(flatten)]
    pub metrics: MetricsFlags,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Arguments of `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// A compose project name or a container name (default: the project of the
    /// compose file in this directory, else every target on the engine)
    pub target: Option<String>,
    /// Where backups are
    #[command(flatten)]
    pub location: LocationFlags,
    /// The password of a repository
    #[command(flatten)]
    pub repository: RepositoryFlags,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Do not ask the engine for volume sizes (they can be slow on big hosts)
    #[arg(long)]
    pub no_size: bool,
}

/// Arguments of `shell-init`.
#[derive(Debug, Args)]
pub struct ShellInitArgs {
    /// The shell to print the functions for
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

/// Arguments of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to print a completion script for
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

/// Shells we ship completion scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    /// GNU bash
    Bash,
    /// Z shell
    Zsh,
    /// fish
    Fish,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rm(words: &[&str]) -> (bool, bool) {
        let cli = Cli::try_parse_from(["docker-safeops", "rm"].iter().chain(words)).unwrap();
        match cli.verb {
            Verb::Rm(args) => (args.force, args.volumes),
            _ => unreachable!(),
        }
    }

    /// Every spelling Docker takes for its boolean options, the shell integration's
    /// `--volumes=false` included, means what it means to Docker.
    #[test]
    fn boolean_options_take_docker_spellings() {
        assert_eq!(rm(&["-vf", "c"]), (true, true));
        assert_eq!(rm(&["-fv", "c"]), (true, true));
        assert_eq!(rm(&["c"]), (false, false));
        assert_eq!(rm(&["--volumes", "c"]), (false, true));
        assert_eq!(rm(&["--volumes=false", "-f", "c"]), (true, false));
        assert_eq!(rm(&["--volumes=True", "--force=0", "c"]), (false, true));
        assert_eq!(rm(&["-v=false", "c"]), (false, false));
        // A word after the option is never taken for its value.
        assert_eq!(rm(&["-v", "false"]), (false, true));
        assert!(Cli::try_parse_from(["p", "rm", "--volumes=maybe", "c"]).is_err());
        let cli = Cli::try_parse_from(["p", "-l", "warning", "status"]).unwrap();
        assert_eq!(cli.docker.log_level, Some(LogLevel::Warn));
    }
}
