//! `docker-safeops`: the plugin handshake, argument parsing, dispatch and exit codes.

use std::io::Write;

use clap::{CommandFactory, FromArgMatches};

use docker_safeops::backup::journal;
use docker_safeops::cancel;
use docker_safeops::cli::args::{
    BackupsAction, Cli, DockerFlags, ImagesVerb, ScheduleVerb, Verb, VolumeVerb,
};
use docker_safeops::cli::{
    logging,
    plugin::{self, Invocation},
};
use docker_safeops::commands;
use docker_safeops::commands::lifecycle::Lifecycle;
use docker_safeops::engine::endpoint;
use docker_safeops::engine::{self, Engine};
use docker_safeops::error::{Error, ExitCode, Result};
use docker_safeops::target::Discovery;

fn main() -> std::process::ExitCode {
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let as_plugin = plugin::invoked_as_plugin(&argv);
    let code = match plugin::classify(argv) {
        Invocation::Metadata => print_lines(&[plugin::metadata_json()]),
        Invocation::Complete {
            words,
            descriptions,
        } => print_lines(&plugin::complete(
            &Cli::command(),
            &words,
            descriptions,
            &|id| commands::completions::values(id, &words),
        )),
        Invocation::Run(args) => match docker_safeops::cli::args::command(as_plugin)
            .try_get_matches_from(args)
            .and_then(|matches| Cli::from_arg_matches(&matches))
        {
            Ok(cli) => run(cli),
            Err(err) => {
                if let Some(option) = misplaced_project_option(&err) {
                    docker_safeops::say!(
                        "error: {option} is a project option: like with `docker compose`, it goes \
                         before the verb\nhint: docker safeops {option} VALUE VERB ..."
                    );
                    return std::process::ExitCode::from(ExitCode::Usage as u8);
                }
                let _ = err.print();
                if err.use_stderr() {
                    ExitCode::Usage
                } else {
                    ExitCode::Success
                }
            }
        },
    };
    std::process::ExitCode::from(code as u8)
}

/// The project option (`-p`, `-f`, ...) clap found after the verb, where it is unknown.
fn misplaced_project_option(err: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if err.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let Some(ContextValue::String(arg)) = err.get(ContextKind::InvalidArg) else {
        return None;
    };
    let option = arg.split('=').next().unwrap_or(arg);
    let project_options = [
        "-p",
        "--project-name",
        "-f",
        "--file",
        "--project-directory",
        "--env-file",
        "--profile",
    ];
    project_options
        .contains(&option)
        .then(|| option.to_string())
}

fn print_lines(lines: &[String]) -> ExitCode {
    let mut out = std::io::stdout().lock();
    for line in lines {
        if writeln!(out, "{line}").is_err() {
            return ExitCode::Failure;
        }
    }
    ExitCode::Success
}

fn run(cli: Cli) -> ExitCode {
    logging::init(&cli.docker);
    docker_safeops::state::raise_open_files_limit();
    // bollard's TLS (ring) and OpenDAL's HTTP client (aws-lc-rs) both link a provider,
    // so rustls cannot pick one by itself. An error means one is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return report(&Error::failure(format!("cannot start the runtime: {err}"))),
    };
    let flags = cli.docker.clone();
    let dispatched = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(dispatch(cli))
    }));
    // Everything an operation needs is awaited before it returns: what still runs is a
    // read given up on (a repository that does not answer), not waited for here.
    let abandon = |runtime: tokio::runtime::Runtime| {
        runtime.shutdown_timeout(std::time::Duration::from_secs(1))
    };
    match dispatched {
        Ok(Ok(())) => {
            abandon(runtime);
            ExitCode::Success
        }
        Ok(Err(err)) => {
            abandon(runtime);
            report(&err)
        }
        Err(_) => {
            runtime.block_on(recover_after_panic(&flags));
            // Blocking work of the operation that panicked (a volume being read) would
            // keep the process alive until it ends: it is abandoned.
            runtime.shutdown_background();
            ExitCode::Failure
        }
    }
}

/// After a panic (a bug, its message above) unwound out of a command: starts again what
/// it stopped and removes what it half-wrote, as the next command would, but now.
async fn recover_after_panic(flags: &DockerFlags) {
    let lines = match reach(flags).await {
        Ok(engine) => journal::recover_own(&engine).await,
        Err(err) => vec![format!(
            "cannot reach the engine to recover ({}): the next command will",
            docker_safeops::redact::text(&err.message)
        )],
    };
    docker_safeops::say!(
        "error: docker-safeops failed on a bug (the panic above); please report it"
    );
    for line in lines {
        docker_safeops::say!("note: {line}");
    }
}

fn report(err: &Error) -> ExitCode {
    // Empty when the reader of stdout went away (`| head`): nobody is left to tell.
    if !err.message.is_empty() {
        docker_safeops::say!("error: {}", docker_safeops::redact::text(&err.to_string()));
    }
    err.code
}

/// Connects to the engine, then finishes the recovery of any operation whose process
/// died (restart what it stopped, delete what it half-wrote) and says what it did.
async fn connect(flags: &DockerFlags) -> Result<Engine> {
    let engine = reach(flags).await?;
    for line in journal::recover(&engine).await {
        docker_safeops::say!("note: {line}");
    }
    Ok(engine)
}

/// For a verb that needs no engine: when an operation on the engine `flags` name died
/// before it was finished, connects to it anyway to recover it (as any verb that
/// connects does); names what is left, on another engine or unfinished.
async fn recover_interrupted(flags: &DockerFlags) {
    let pending = journal::interrupted();
    if pending.is_empty() {
        return;
    }
    let here = endpoint_of(flags);
    let on_this_engine = |host: &str| {
        here.as_ref()
            .is_ok_and(|e| endpoint::same_engine(host, &e.host))
    };
    if pending.iter().any(|(_, j)| on_this_engine(&j.engine_host))
        && let Err(err) = connect(flags).await
    {
        let err = err.to_string();
        let err = docker_safeops::redact::text(&err);
        docker_safeops::say!("note: cannot recover an interrupted operation: {err}");
    }
    for (journal, left) in journal::interrupted() {
        let what = format!(
            "an interrupted `{}` of {} (process {}) on {}",
            left.verb, left.started, left.pid, left.engine_host
        );
        if on_this_engine(&left.engine_host) || here.is_err() {
            docker_safeops::say!(
                "note: {what} is not finished (see above); its journal is {}",
                journal.display()
            );
        } else {
            docker_safeops::say!(
                "note: {what} left containers stopped or work half-done there: a verb \
                 connected to that engine finishes it (if that engine is gone for good, \
                 delete {})",
                journal.display()
            );
        }
    }
}

/// The engine `flags` name, as the Docker CLI resolves it.
fn endpoint_of(flags: &DockerFlags) -> Result<endpoint::Endpoint> {
    endpoint::resolve(&flags.connect_options(), &|name| std::env::var(name).ok())
}

/// Connects to the engine `flags` name, as the Docker CLI would.
async fn reach(flags: &DockerFlags) -> Result<Engine> {
    engine::connect(&endpoint_of(flags)?).await
}

fn discovery<'a>(cli: &'a Cli, engine: &'a Engine) -> Discovery<'a> {
    Discovery {
        engine,
        project: cli.project.options(),
        cwd: std::env::current_dir().unwrap_or_default(),
        docker_config: cli.docker.config.clone(),
    }
}

async fn dispatch(mut cli: Cli) -> Result<()> {
    cli.apply_dry_run()?;
    let (trigger, cancel) = cancel::pair();
    cancel::forward_signals(&trigger)?;
    plugin::watch_plugin_socket(trigger);
    let work = async {
        match &cli.verb {
            Verb::Completions(args) => {
                let script = commands::completions::script(args.shell);
                commands::print(&String::from_utf8_lossy(&script))
            }
            Verb::Status(args) => {
                let engine = connect(&cli.docker).await?;
                commands::status::run(&discovery(&cli, &engine), args).await
            }
            Verb::Backup(args) => {
                let engine = connect(&cli.docker)
                    .await
                    .inspect_err(|err| commands::backup::record_not_started(args, err, 0.0))?;
                commands::backup::run(&discovery(&cli, &engine), args, &cancel).await
            }
            Verb::Backups(args) => {
                recover_interrupted(&cli.docker).await;
                match &args.action {
                    Some(BackupsAction::Init(init)) => commands::backups::init(init).await,
                    None => commands::backups::run(args).await,
                }
            }
            Verb::Verify(args) => {
                recover_interrupted(&cli.docker).await;
                commands::verify::run(args, &cancel).await
            }
            Verb::Down(args) => {
                let engine = connect(&cli.docker).await?;
                commands::down::run(&discovery(&cli, &engine), args, &cancel).await
            }
            Verb::Restart(args) | Verb::Stop(args) | Verb::Start(args) => {
                let verb = match &cli.verb {
                    Verb::Stop(_) => Lifecycle::Stop,
                    Verb::Start(_) => Lifecycle::Start,
                    _ => Lifecycle::Restart,
                };
                let engine = connect(&cli.docker).await?;
                commands::lifecycle::run(&discovery(&cli, &engine), verb, args, &cancel).await
            }
            Verb::Volume(VolumeVerb::Rm(args)) => {
                let engine = connect(&cli.docker).await?;
                commands::volume::rm(&engine, args, &cancel).await
            }
            Verb::Volume(VolumeVerb::Prune(args)) => {
                let engine = connect(&cli.docker).await?;
                commands::volume::prune(&engine, args, &cancel).await
            }
            Verb::Rm(args) => {
                let engine = connect(&cli.docker).await?;
                commands::volume::rm_containers(&engine, args, &cancel).await
            }
            Verb::ShellInit(args) => commands::shell_init::run(args),
            Verb::Rollback(args) => {
                let engine = connect(&cli.docker).await?;
                commands::recreate::rollback(&engine, args, &cancel).await
            }
            Verb::Images(ImagesVerb::Prune(args)) => {
                let engine = connect(&cli.docker).await?;
                commands::images::prune(&engine, args).await
            }
            Verb::Recreate(args) => {
                let engine = connect(&cli.docker).await?;
                commands::recreate::run(&discovery(&cli, &engine), args, &cancel).await
            }
            Verb::Protect(args) => {
                let engine = connect(&cli.docker).await?;
                commands::protect::protect(&engine, args).await
            }
            Verb::Unprotect(args) => {
                let engine = connect(&cli.docker).await?;
                commands::protect::unprotect(&engine, args).await
            }
            Verb::Log(args) => {
                recover_interrupted(&cli.docker).await;
                commands::log::run(args).await
            }
            Verb::Schedule(ScheduleVerb::Add(args)) => {
                let engine = connect(&cli.docker).await?;
                commands::schedule::add(&discovery(&cli, &engine), &cli.docker, args).await
            }
            Verb::Schedule(ScheduleVerb::Ls(args)) => {
                recover_interrupted(&cli.docker).await;
                commands::schedule::ls(args)
            }
            Verb::Schedule(ScheduleVerb::Rm(args)) => {
                recover_interrupted(&cli.docker).await;
                commands::schedule::rm(args)
            }
            Verb::Drill(args) => {
                let engine = connect(&cli.docker).await?;
                commands::drill::run(&discovery(&cli, &engine), args, &cancel).await
            }
            Verb::Export(args) => {
                let engine = connect(&cli.docker).await?;
                commands::export::run(&engine, args).await
            }
            Verb::Adopt(args) => {
                let engine = connect(&cli.docker).await?;
                commands::adopt::run(&discovery(&cli, &engine), args, &cancel).await
            }
            Verb::Release(args) => {
                let engine = connect(&cli.docker).await?;
                commands::release::run(&discovery(&cli, &engine), &cli.docker, args, &cancel).await
            }
            Verb::Doctor(args) if args.list_checks => commands::doctor::list_checks(args),
            Verb::Doctor(args) => match connect(&cli.docker).await {
                Ok(engine) => commands::doctor::run(&discovery(&cli, &engine), args).await,
                Err(err) => commands::doctor::unreachable(&err, args).await,
            },
            Verb::Restore(args) => {
                let engine = connect(&cli.docker).await?;
                let project = cli.project.project_name.as_deref();
                commands::restore::run(&engine, args, project, &cancel).await
            }
        }
    };
    if cli.verb.handles_cancellation() {
        return work.await;
    }
    tokio::select! {
        result = work => result,
        why = cancel.cancelled() => {
            tracing::info!("{why}");
            Err(Error::interrupted())
        }
    }
}
