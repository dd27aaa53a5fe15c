//! `export CONTAINER... [-p PROJECT] [-o FILE]`: a compose file for containers started
//! with `docker run` (see `export`), on stdout or in FILE, with their secrets in a
//! `.env` file (0600) beside it; what the compose format cannot say is listed on stderr.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::cli::args::{ExportArgs, Format};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::export::{self, Document};

/// Runs `export`.
pub async fn run(engine: &Engine, args: &ExportArgs) -> Result<()> {
    let specs = export::inspect(engine, &args.containers).await?;
    let document = export::export(engine, &specs, args.project.as_deref()).await?;
    let dir = args
        .output
        .as_deref()
        .and_then(Path::parent)
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Some(file) = args.output.as_ref().filter(|f| f.exists()) {
        return Err(Error::usage(format!("{} exists already", file.display()))
            .hint("choose another file, or move that one away"));
    }
    let env_file = write_env(&document, dir)?;
    if let Some(file) = &args.output {
        std::fs::write(file, &document.yaml)
            .map_err(|e| Error::failure(format!("cannot write {}: {e}", file.display())))?;
    }
    report_lossy(&document);
    match args.format {
        Format::Json => {
            let report = json!({
                "compose_file": args.output,
                "env_file": env_file,
                "services": document.services,
                "volumes": document.volumes,
                "networks": document.networks,
                "lossy": document.lossy,
                "compose": args.output.is_none().then_some(&document.yaml),
            });
            super::print(&format!("{report:#}\n"))
        }
        Format::Table if args.output.is_none() => super::print(&document.yaml),
        Format::Table => {
            crate::say!(
                "wrote {} ({} services; volumes and networks external)",
                args.output.as_deref().unwrap_or(Path::new("-")).display(),
                document.services.len()
            );
            Ok(())
        }
    }
}

/// Writes the secrets to `dir/.env` (0600), never over an existing file.
fn write_env(document: &Document, dir: &Path) -> Result<Option<PathBuf>> {
    let Some(text) = &document.dotenv else {
        return Ok(None);
    };
    let path = dir.join(".env");
    if path.exists() {
        return Err(Error::usage(format!(
            "the exported containers hold secrets for {}, which exists already",
            path.display()
        ))
        .hint("export into another directory: -o DIR/compose.yaml"));
    }
    crate::state::write_private(&path, text.as_bytes())
        .map_err(|e| Error::failure(format!("cannot write {}: {e}", path.display())))?;
    crate::say!(
        "note: secrets of the containers' env went to {} (0600); the compose file refers to them",
        path.display()
    );
    Ok(Some(path))
}

/// Says on stderr what the compose file could not express.
pub fn report_lossy(document: &Document) {
    for line in &document.lossy {
        crate::say!("note: not exported as is: {}", crate::redact::text(line));
    }
}
