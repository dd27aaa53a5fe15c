//! A container's last log lines.

use futures_util::StreamExt;

use super::Engine;
use crate::error::Result;

/// The last `lines` lines a container wrote (stdout and stderr interleaved as the
/// engine stored them). The engine cuts the tail, so this never reads a whole log.
pub async fn tail(engine: &Engine, container: &str, lines: usize) -> Result<Vec<String>> {
    let options = bollard::query_parameters::LogsOptions {
        stdout: true,
        stderr: true,
        tail: lines.to_string(),
        ..Default::default()
    };
    let mut stream = engine.docker.logs(container, Some(options));
    let mut text = String::new();
    while let Some(chunk) = stream.next().await {
        text.push_str(&chunk?.to_string());
    }
    let all: Vec<String> = text.lines().map(str::to_string).collect();
    let skip = all.len().saturating_sub(lines);
    Ok(all.into_iter().skip(skip).collect())
}
