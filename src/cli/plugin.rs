//! The Docker CLI plugin protocol: metadata, the shape of argv when the Docker CLI runs
//! us, `docker help safeops`, cobra-style `__complete`, and the plugin socket.

use std::io::Read;
use std::os::unix::net::UnixStream;

use clap::{Arg, Command};

use crate::cancel::CancelTrigger;

/// The name of this plugin's command under `docker`.
pub const PLUGIN_NAME: &str = "safeops";

/// The metadata JSON the Docker CLI asks every plugin for. Kept byte-identical with
/// `plugin-metadata/metadata.json` (a test compares them).
pub fn metadata_json() -> String {
    let metadata = serde_json::json!({
        "SchemaVersion": "0.1.0",
        "Vendor": "docker-safeops",
        "Version": env!("CARGO_PKG_VERSION"),
        "ShortDescription": "Guarded down -v, verified backups and safe restores",
        "URL": env!("CARGO_PKG_REPOSITORY"),
    });
    serde_json::to_string_pretty(&metadata).expect("static JSON serializes")
}

/// What the process was asked to do, read from argv before clap sees it.
#[derive(Debug, PartialEq, Eq)]
pub enum Invocation {
    /// `docker-cli-plugin-metadata`: print the metadata and exit.
    Metadata,
    /// `__complete ...`: cobra's shell completion request.
    Complete {
        /// The words typed after the plugin name; the last one is being completed.
        words: Vec<String>,
        /// False for `__completeNoDesc`.
        descriptions: bool,
    },
    /// A normal run; argv rewritten into the direct-invocation shape clap parses.
    Run(Vec<String>),
}

/// Flags before the verb that take a value (Docker's global flags, and compose's project
/// options in direct runs), so that a value is not mistaken for the plugin name or a verb.
const VALUE_FLAGS: &[&str] = &[
    "-f",
    "--file",
    "-p",
    "--project-name",
    "--project-directory",
    "--env-file",
    "--profile",
    "--config",
    "-c",
    "--context",
    "-H",
    "--host",
    "-l",
    "--log-level",
    "--tlscacert",
    "--tlscert",
    "--tlskey",
];

/// Position of the first word that is not a Docker global flag or a flag's value.
fn first_positional(args: &[String]) -> Option<usize> {
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        if arg == "--" || !arg.starts_with('-') || arg == "-" {
            return Some(i);
        }
        i += if takes_next_word(arg) { 2 } else { 1 };
    }
    None
}

/// Whether option word `arg` takes the next word as its value: one of [`VALUE_FLAGS`],
/// or a cluster of short options (`-Dc`, as Docker's `-Dc prod`) ended by the first
/// of them that takes a value (`-Dcprod` holds its value).
fn takes_next_word(arg: &str) -> bool {
    if VALUE_FLAGS.contains(&arg) {
        return true;
    }
    let Some(cluster) = arg.strip_prefix('-').filter(|c| !c.starts_with('-')) else {
        return false;
    };
    cluster
        .char_indices()
        .find(|(_, c)| VALUE_FLAGS.contains(&format!("-{c}").as_str()))
        .is_some_and(|(at, c)| at + c.len_utf8() == cluster.len())
}

/// Classifies argv (including argv[0]) into what we were asked to do.
///
/// The Docker CLI runs a plugin as `docker-safeops [global flags] safeops VERB ...`,
/// `docker-safeops help safeops [VERB]` and `docker-safeops __complete safeops ...`;
/// a direct run is `docker-safeops [flags] VERB ...`. Runs are normalised to the direct
/// shape.
pub fn classify(argv: Vec<String>) -> Invocation {
    let (program, args) = match argv.split_first() {
        Some((program, args)) => (program.clone(), args.to_vec()),
        None => ("docker-safeops".to_string(), Vec::new()),
    };
    let Some(pos) = first_positional(&args) else {
        return Invocation::Run(std::iter::once(program).chain(args).collect());
    };
    let word = args[pos].as_str();
    let mut rest: Vec<String> = args[pos + 1..].to_vec();
    let mut out: Vec<String> = std::iter::once(program)
        .chain(args[..pos].iter().cloned())
        .collect();
    match word {
        "docker-cli-plugin-metadata" => return Invocation::Metadata,
        "__complete" | "__completeNoDesc" => {
            if rest.first().map(String::as_str) == Some(PLUGIN_NAME) {
                rest.remove(0);
            }
            return Invocation::Complete {
                words: rest,
                descriptions: word == "__complete",
            };
        }
        PLUGIN_NAME => out.extend(rest),
        "help" => {
            if rest.first().map(String::as_str) == Some(PLUGIN_NAME) {
                rest.remove(0);
            }
            out.extend(rest);
            out.push("--help".to_string());
        }
        _ => out.extend(args[pos..].iter().cloned()),
    }
    Invocation::Run(out)
}

/// True when the Docker CLI runs us as its plugin (`docker safeops ...`, `docker help
/// safeops`), so that usage lines can say `docker safeops`.
pub fn invoked_as_plugin(argv: &[String]) -> bool {
    let args = argv.get(1..).unwrap_or_default();
    let Some(pos) = first_positional(args) else {
        return false;
    };
    match args[pos].as_str() {
        PLUGIN_NAME => true,
        "help" => args.get(pos + 1).map(String::as_str) == Some(PLUGIN_NAME),
        _ => false,
    }
}

/// Connects to the Docker CLI's plugin socket (`DOCKER_CLI_PLUGIN_SOCKET`) when set,
/// and triggers cancellation when the CLI closes it: the CLI does that when the user
/// presses Ctrl-C or the CLI itself is going away.
pub fn watch_plugin_socket(trigger: CancelTrigger) {
    let Ok(address) = std::env::var("DOCKER_CLI_PLUGIN_SOCKET") else {
        return;
    };
    let stream = match connect_plugin_socket(&address) {
        Ok(stream) => stream,
        Err(err) => {
            tracing::warn!("cannot connect to the Docker CLI plugin socket {address}: {err}");
            return;
        }
    };
    std::thread::Builder::new()
        .name("plugin-socket".into())
        .spawn(move || {
            let mut stream = stream;
            let mut buf = [0u8; 64];
            // The CLI never sends data we need; EOF or an error both mean it is gone.
            while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
            tracing::info!("the Docker CLI closed the plugin socket: stopping");
            trigger.trigger("the Docker CLI closed the plugin socket");
        })
        .expect("spawning a thread succeeds");
}

/// Go writes abstract unix socket addresses with a leading `@`.
fn connect_plugin_socket(address: &str) -> std::io::Result<UnixStream> {
    match address.strip_prefix('@') {
        Some(name) => {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
            UnixStream::connect_addr(&addr)
        }
        None => UnixStream::connect(address),
    }
}

/// Cobra's `ShellCompDirectiveNoFileComp`: do not fall back to file names.
const DIRECTIVE_NO_FILE: u32 = 4;
/// Cobra's `ShellCompDirectiveDefault`: the shell may complete file names.
const DIRECTIVE_DEFAULT: u32 = 0;

/// Answers a cobra `__complete` request from the clap definition: verbs, flags, the
/// possible values of enum arguments, and for positional arguments what `dynamic`
/// offers for their id (`backup`, `container`, `volumes`, ...: names from the engine
/// and the backup directory). Returns the lines to print (candidates, then
/// `:<directive>`).
pub fn complete(
    root: &Command,
    words: &[String],
    descriptions: bool,
    dynamic: &dyn Fn(&str) -> Vec<(String, String)>,
) -> Vec<String> {
    let (typed, to_complete) = match words.split_last() {
        Some((last, typed)) => (typed, last.as_str()),
        None => (&[][..], ""),
    };
    let mut command = root.clone();
    command.build();
    let mut current = &command;
    let mut globals: Vec<Arg> = global_args(current);
    let mut pending_value: Option<Arg> = None;
    let mut positionals_seen = 0;
    for word in typed {
        if pending_value.take().is_some() {
            continue;
        }
        if let Some(flag) = word.strip_prefix('-').filter(|w| !w.is_empty()) {
            if !flag.contains('=') {
                pending_value = find_flag(current, &globals, word).filter(takes_value);
            }
        } else if let Some(sub) = current.find_subcommand(word) {
            current = sub;
            globals.extend(global_args(current));
            positionals_seen = 0;
        } else {
            positionals_seen += 1;
        }
    }
    let mut candidates: Vec<(String, String)> = Vec::new();
    let mut directive = DIRECTIVE_NO_FILE;
    if let Some(arg) = pending_value {
        candidates = possible_values(&arg);
        if candidates.is_empty() && is_path(&arg) {
            directive = DIRECTIVE_DEFAULT;
        }
    } else if to_complete.starts_with('-') {
        for arg in current.get_arguments().chain(globals.iter()) {
            if arg.is_hide_set() {
                continue;
            }
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            if let Some(long) = arg.get_long() {
                candidates.push((format!("--{long}"), help.clone()));
            }
            if let Some(short) = arg.get_short() {
                candidates.push((format!("-{short}"), help));
            }
        }
    } else {
        for sub in current.get_subcommands().filter(|s| !s.is_hide_set()) {
            let help = sub.get_about().map(ToString::to_string).unwrap_or_default();
            candidates.push((sub.get_name().to_string(), help));
        }
        let positional = current.get_positionals().nth(positionals_seen).or_else(|| {
            current
                .get_positionals()
                .last()
                .filter(|a| a.get_num_args().is_some_and(|n| n.max_values() > 1))
        });
        if let Some(arg) = positional {
            candidates.extend(possible_values(arg));
            candidates.extend(dynamic(arg.get_id().as_str()));
        }
    }
    candidates.sort();
    candidates.dedup_by(|a, b| a.0 == b.0);
    let mut lines: Vec<String> = candidates
        .into_iter()
        .filter(|(value, _)| value.starts_with(to_complete))
        .map(|(value, help)| {
            if descriptions && !help.is_empty() {
                format!("{value}\t{help}")
            } else {
                value
            }
        })
        .collect();
    lines.push(format!(":{directive}"));
    lines
}

fn global_args(command: &Command) -> Vec<Arg> {
    command
        .get_arguments()
        .filter(|a| a.is_global_set())
        .cloned()
        .collect()
}

fn find_flag(command: &Command, globals: &[Arg], word: &str) -> Option<Arg> {
    let matches = |arg: &&Arg| match word.strip_prefix("--") {
        Some(long) => arg.get_long() == Some(long),
        None => word.len() == 2 && arg.get_short() == word.chars().nth(1),
    };
    command
        .get_arguments()
        .find(matches)
        .or_else(|| globals.iter().find(matches))
        .cloned()
}

/// Whether `arg` takes the next word as its value (`--volumes[=BOOL]` never does).
fn takes_value(arg: &Arg) -> bool {
    arg.get_num_args().is_some_and(|n| n.takes_values()) && !arg.is_require_equals_set()
}

fn is_path(arg: &Arg) -> bool {
    matches!(
        arg.get_value_hint(),
        clap::ValueHint::FilePath | clap::ValueHint::DirPath | clap::ValueHint::AnyPath
    ) || arg.get_value_names().is_some_and(|names| {
        names
            .iter()
            .any(|n| n.as_str() == "FILE" || n.as_str() == "DIR")
    })
}

fn possible_values(arg: &Arg) -> Vec<(String, String)> {
    arg.get_possible_values()
        .into_iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| {
            let help = v.get_help().map(ToString::to_string).unwrap_or_default();
            (v.get_name().to_string(), help)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn docker_cli_shape_is_normalised() {
        assert_eq!(
            classify(argv(&["p", "--context", "prod", "safeops", "status"])),
            Invocation::Run(argv(&["p", "--context", "prod", "status"]))
        );
        assert_eq!(
            classify(argv(&[
                "p",
                "-H",
                "unix:///x",
                "-D",
                "safeops",
                "-p",
                "shop",
                "status"
            ])),
            Invocation::Run(argv(&[
                "p",
                "-H",
                "unix:///x",
                "-D",
                "-p",
                "shop",
                "status"
            ]))
        );
        assert_eq!(
            classify(argv(&["p", "--log-level=debug", "safeops", "status"])),
            Invocation::Run(argv(&["p", "--log-level=debug", "status"]))
        );
        // Short options clustered as Docker takes them: `-Dc prod` is debug and the
        // context `prod`; `-Dcprod` holds its value.
        for (cluster, value) in [(&["-Dc", "prod"][..], "safeops"), (&["-Dcprod"], "safeops")] {
            let mut words = vec!["p"];
            words.extend(cluster);
            words.extend([value, "status"]);
            let mut expected = vec!["p"];
            expected.extend(cluster);
            expected.push("status");
            assert_eq!(classify(argv(&words)), Invocation::Run(argv(&expected)));
        }
    }

    #[test]
    fn direct_invocation_is_kept() {
        assert_eq!(
            classify(argv(&["p", "status", "safeops"])),
            Invocation::Run(argv(&["p", "status", "safeops"]))
        );
        assert_eq!(classify(argv(&["p"])), Invocation::Run(argv(&["p"])));
        assert_eq!(
            classify(argv(&["p", "-p", "safeops", "status"])),
            Invocation::Run(argv(&["p", "-p", "safeops", "status"]))
        );
    }

    #[test]
    fn help_and_metadata_and_complete() {
        assert_eq!(
            classify(argv(&["p", "help", "safeops"])),
            Invocation::Run(argv(&["p", "--help"]))
        );
        assert_eq!(
            classify(argv(&["p", "help", "safeops", "status"])),
            Invocation::Run(argv(&["p", "status", "--help"]))
        );
        assert_eq!(
            classify(argv(&["p", "docker-cli-plugin-metadata"])),
            Invocation::Metadata
        );
        assert_eq!(
            classify(argv(&["p", "__complete", "safeops", "st"])),
            Invocation::Complete {
                words: argv(&["st"]),
                descriptions: true
            }
        );
    }

    fn cli() -> Command {
        <crate::cli::args::Cli as clap::CommandFactory>::command()
    }

    #[test]
    fn completes_verbs_flags_and_values() {
        let verbs = complete(&cli(), &argv(&["stat"]), false, &|_| Vec::new());
        assert_eq!(verbs, argv(&["status", ":4"]));
        let flags = complete(&cli(), &argv(&["status", "--for"]), true, &|_| Vec::new());
        assert_eq!(flags.len(), 2);
        assert!(flags[0].starts_with("--format\t"), "{flags:?}");
        let values = complete(&cli(), &argv(&["status", "--format", ""]), false, &|_| {
            Vec::new()
        });
        assert_eq!(values, argv(&["json", "table", ":4"]));
        let shells = complete(&cli(), &argv(&["completions", "f"]), false, &|_| Vec::new());
        assert_eq!(shells, argv(&["fish", ":4"]));
        let files = complete(&cli(), &argv(&["-f", ""]), false, &|_| Vec::new());
        assert_eq!(files, argv(&[":0"]));
    }

    #[test]
    fn positionals_complete_with_names_from_outside() {
        let offer = |id: &str| match id {
            "backup" => vec![(
                "shop-20261122T010203Z".to_string(),
                "project shop".to_string(),
            )],
            "volumes" => vec![("shop_data".to_string(), String::new())],
            _ => Vec::new(),
        };
        let backups = complete(&cli(), &argv(&["verify", "sh"]), false, &offer);
        assert_eq!(backups, argv(&["shop-20261122T010203Z", ":4"]));
        // Every further VOLUME of `volume rm` too.
        let volumes = complete(&cli(), &argv(&["volume", "rm", "a", ""]), false, &offer);
        assert_eq!(volumes, argv(&["shop_data", ":4"]));
    }
}
