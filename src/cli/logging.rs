//! `tracing` logs on stderr: quiet by default (warnings), `--log-level`/`-D`, or
//! `RUST_LOG` for per-module filters.
//!
//! Whatever the filter says, the HTTP client's debug and trace events are dropped:
//! bollard logs whole request and response bodies there (a container's inspect
//! document, a create request), and those carry the containers' env with its secrets.

use tracing::Level;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

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
    let no_bodies = filter_fn(|meta| {
        let client = ["bollard", "hyper", "h2", "reqwest"]
            .iter()
            .any(|name| meta.target().starts_with(name));
        !client || *meta.level() <= Level::INFO
    });
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(no_bodies)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_target(false),
        )
        .try_init();
}
