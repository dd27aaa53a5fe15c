//! Errors that carry the exit code promised by the command-line contract
//! (`docs/cli.md` "Exit codes") and a hint telling the user what to do next.

use std::fmt;

/// The exit codes of the command-line contract. Scripts rely on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// 0: success.
    Success = 0,
    /// 1: the operation failed; the message says what failed and what to do.
    Failure = 1,
    /// 2: usage or input error: bad flags, malformed compose file, unknown target.
    Usage = 2,
    /// 3: a guard refused the operation.
    Refused = 3,
    /// 4: a backup failed verification; nothing was restored.
    Integrity = 4,
    /// 5: preflight failed: engine unreachable, target not writable, not enough space.
    Preflight = 5,
    /// 130: interrupted (Ctrl-C, or the Docker CLI closed the plugin socket).
    Interrupted = 130,
}

/// An error for the user: what went wrong, the exit code, and optionally what to do.
#[derive(Debug, Clone)]
pub struct Error {
    /// The exit code this error ends the process with.
    pub code: ExitCode,
    /// One or more lines saying what went wrong.
    pub message: String,
    /// What the user can do about it, when we know.
    pub hint: Option<String>,
}

/// Result type used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    fn new(code: ExitCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            hint: None,
        }
    }

    /// An exit code whose reason was already printed (a report that says what failed):
    /// nothing more is said on stderr.
    pub fn reported(code: ExitCode) -> Self {
        Self::new(code, "")
    }

    /// A failure (exit 1).
    pub fn failure(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Failure, message)
    }

    /// A usage or input error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Usage, message)
    }

    /// A guard refused the operation (exit 3).
    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Refused, message)
    }

    /// A backup failed verification (exit 4).
    pub fn integrity(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Integrity, message)
    }

    /// A preflight error (exit 5).
    pub fn preflight(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Preflight, message)
    }

    /// The operation was interrupted by the user or the Docker CLI (exit 130).
    pub fn interrupted() -> Self {
        Self::new(ExitCode::Interrupted, "interrupted")
    }

    /// A write to stdout that failed: when its reader went away (`| head -1`), an error
    /// with nothing to say (exit 1, no message: nobody is left to read it).
    pub fn writing_stdout(err: std::io::Error) -> Self {
        match err.kind() {
            std::io::ErrorKind::BrokenPipe => Self::new(ExitCode::Failure, ""),
            _ => Self::failure(format!("cannot write to stdout: {err}")),
        }
    }

    /// Adds what the user can do about the error.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<bollard::errors::Error> for Error {
    fn from(err: bollard::errors::Error) -> Self {
        Error::failure(format!(
            "Docker engine request failed: {}",
            engine_message(&err)
        ))
    }
}

/// The engine's own message for an API error, without bollard's wrapping.
pub fn engine_message(err: &bollard::errors::Error) -> String {
    match err {
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        other => with_causes(other),
    }
}

/// `err` and its causes, `: `-joined, without empty or repeated parts: the transport's
/// own message ("client error (Connect)") says little, its cause ("Connection refused")
/// says what to fix.
fn with_causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        if !text.trim().is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    if parts.is_empty() {
        format!("{err:?}")
    } else {
        parts.join(": ")
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error::failure(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_reader_gone_away_makes_a_silent_error() {
        let gone = Error::writing_stdout(std::io::ErrorKind::BrokenPipe.into());
        assert_eq!((gone.code, gone.message.as_str()), (ExitCode::Failure, ""));
        let full = Error::writing_stdout(std::io::ErrorKind::StorageFull.into());
        assert!(
            full.message.starts_with("cannot write to stdout"),
            "{}",
            full.message
        );
    }
}
