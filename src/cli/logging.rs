//! `tracing` logs on stderr: quiet by default (warnings), `--log-level`/`-D`, or
//! `RUST_LOG` for per-module filters.
//!
//! Whatever the filter says, the HTTP client's debug and trace events are dropped:
//! bollard logs whole request and response bodies there (a container's inspect
//! document, a create request), and those carry the containers' env with its secrets.
//! What is logged goes through the redactor too (`crate::redact`). rustic_core's own
//! log lines are off unless `RUST_LOG` asks for them: its errors reach the user as ours.

use std::io::IsTerminal;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
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
        .unwrap_or_else(|_| EnvFilter::new(format!("docker_safeops={level},rustic_core=off,warn")));
    let no_bodies = filter_fn(|meta| {
        let client = ["bollard", "hyper", "h2", "reqwest"]
            .iter()
            .any(|name| meta.target().starts_with(name));
        !client || *meta.level() <= Level::INFO
    });
    let styled = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var("TERM").is_ok_and(|t| t != "dumb");
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(|| RedactedStderr)
        .with_ansi(styled)
        .with_target(false);
    let registry = tracing_subscriber::registry().with(filter).with(no_bodies);
    let _ = if styled {
        registry.with(layer).try_init()
    } else {
        registry.with(layer.event_format(Plain)).try_init()
    };
}

/// Stderr through the redactor: a log event that quotes a secret (`KEY=value`, a URL
/// with a password, a value seen in a container's env) shows `***` instead. The
/// formatter hands over one whole event per write.
struct RedactedStderr;

impl std::io::Write for RedactedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(crate::redact::text(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// `warning: message`, like the rest of our messages: for stderr that is a file, a
/// pipe or a log (no colours, no timestamps a log collector adds anyway).
struct Plain;

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let level = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warning",
            Level::INFO => "info",
            Level::DEBUG => "debug",
            Level::TRACE => "trace",
        };
        write!(writer, "{level}: ")?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}
