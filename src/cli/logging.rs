//! `tracing` logs on stderr: quiet by default (warnings), `--log-level`/`-D`, or
//! `RUST_LOG` for per-module filters.

use tracing_subscriber::EnvFilter;

use crate::cli::args::{DockerFlags, LogLevel};

/// Installs the subscriber. `RUST_LOG` wins over the flags when set.
pub fn init(flags: &DockerFlags) {
    let level = match (flags.debug, flags.log_level) {
        (true, _) | (_, Some(LogLevel::Debug)) => "debug",
        (_, Some(LogLevel::Info)) => "info",
        (_, Some(LogLevel::Error | LogLevel::Fatal)) => "error",
        _ => "warn",
    };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("docker_safeops={level},warn")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
