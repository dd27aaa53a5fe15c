//! `--db-dump`: consistent logical dumps of database containers through exec, while
//! the database keeps running (`pg_dumpall`, `mysqldump --single-transaction`),
//! compressed into `dumps/<container>.sql.zst`. A dump that fails fails the backup.

use bollard::container::LogOutput;
use bollard::exec::{StartExecOptions, StartExecResults};
use bollard::models::ExecConfig;
use futures_util::StreamExt;

use super::archive::HashingWriter;
use super::capture::write_error;
use super::manifest::{Artifact, ArtifactKind, DumpInfo};
use super::store::PartialBackup;
use crate::cancel::Cancel;
use crate::engine::Engine;
use crate::engine::inventory::Container;
use crate::error::{Error, Result, engine_message};

/// `io.safeops.dump=postgres|mysql|none` overrides detection by image name.
pub const LABEL_DUMP: &str = "io.safeops.dump";
/// How much of a failing dump's stderr we show.
const STDERR_TAIL: usize = 2000;

/// Which dump tool a container needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    /// PostgreSQL: `pg_dumpall`.
    Postgres,
    /// MySQL or MariaDB: `mysqldump`/`mariadb-dump`.
    Mysql,
}

impl DbKind {
    fn name(self) -> &'static str {
        match self {
            DbKind::Postgres => "postgres",
            DbKind::Mysql => "mysql",
        }
    }

    /// The shell command that writes the dump on stdout. Credentials come from the
    /// variables the official images use.
    fn script(self) -> &'static str {
        match self {
            DbKind::Postgres => {
                r#"exec pg_dumpall --clean --if-exists -U "${POSTGRES_USER:-postgres}""#
            }
            DbKind::Mysql => concat!(
                r#"if command -v mariadb-dump >/dev/null 2>&1; then dump=mariadb-dump; else dump=mysqldump; fi; "#,
                r#"pass="${MYSQL_ROOT_PASSWORD:-${MARIADB_ROOT_PASSWORD:-}}"; "#,
                r#"exec "$dump" --all-databases --single-transaction --routines --events -uroot ${pass:+-p"$pass"}"#
            ),
        }
    }
}

/// The database kind of a container: its label, else its image name.
pub fn db_kind(container: &Container) -> Option<DbKind> {
    if let Some(label) = container.labels.get(LABEL_DUMP) {
        return match label.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => Some(DbKind::Postgres),
            "mysql" | "mariadb" => Some(DbKind::Mysql),
            _ => None,
        };
    }
    let repo = container.image.split('@').next().unwrap_or_default();
    let name = repo.rsplit('/').next().unwrap_or_default();
    let name = name.split(':').next().unwrap_or_default();
    if name.contains("postgres") || name.contains("postgis") || name.contains("timescaledb") {
        Some(DbKind::Postgres)
    } else if name.contains("mysql") || name.contains("mariadb") {
        Some(DbKind::Mysql)
    } else {
        None
    }
}

/// Dumps the database in `container` into `partial`.
pub async fn dump(
    engine: &Engine,
    container: &Container,
    kind: DbKind,
    partial: &PartialBackup,
    cancel: &Cancel,
) -> Result<(DumpInfo, Artifact)> {
    let path = format!("dumps/{}.sql.zst", container.name);
    let file = partial
        .create_file(&path)
        .map_err(|e| write_error(partial, e))?;
    let mut encoder = zstd::stream::write::Encoder::new(HashingWriter::new(file), 3)
        .map_err(|e| write_error(partial, e))?;
    stream(
        engine,
        container,
        kind,
        &mut encoder,
        &|e| write_error(partial, e),
        cancel,
    )
    .await?;
    let hashing = encoder.finish().map_err(|e| write_error(partial, e))?;
    let (file, sha256, size) = hashing.finish();
    drop(file);
    Ok((
        DumpInfo {
            container: container.name.clone(),
            engine: kind.name().to_string(),
            path: path.clone(),
        },
        Artifact {
            path,
            kind: ArtifactKind::Dump,
            size,
            sha256,
        },
    ))
}

/// Runs the dump command of `kind` in `container` and writes its output to `sink`;
/// the bytes written. A dump that exits non-zero or writes nothing is an error with
/// the command's last stderr lines. `write_failed` turns a failed write into an error.
pub async fn stream(
    engine: &Engine,
    container: &Container,
    kind: DbKind,
    sink: &mut dyn std::io::Write,
    write_failed: &dyn Fn(std::io::Error) -> Error,
    cancel: &Cancel,
) -> Result<u64> {
    let failed = |why: String| {
        Error::failure(format!("database dump of {} failed: {why}", container.name)).hint(format!(
            "check that `docker exec {} sh -c '{}'` works, or label the container {LABEL_DUMP}=none",
            container.name,
            kind.script()
        ))
    };
    let exec = engine
        .docker
        .create_exec(
            &container.id,
            ExecConfig {
                cmd: Some(vec!["sh".into(), "-c".into(), kind.script().into()]),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..ExecConfig::default()
            },
        )
        .await
        .map_err(|e| failed(engine_message(&e)))?;
    let started = engine
        .docker
        .start_exec(
            &exec.id,
            Some(StartExecOptions {
                detach: false,
                tty: false,
                output_capacity: None,
            }),
        )
        .await
        .map_err(|e| failed(engine_message(&e)))?;
    let StartExecResults::Attached { mut output, .. } = started else {
        return Err(failed("the engine detached the dump".into()));
    };
    let mut stderr = Vec::new();
    let mut bytes = 0u64;
    loop {
        let item = tokio::select! {
            item = output.next() => item,
            _ = cancel.cancelled() => return Err(Error::interrupted()),
        };
        let Some(item) = item else { break };
        match item.map_err(|e| failed(engine_message(&e)))? {
            LogOutput::StdOut { message } => {
                bytes += message.len() as u64;
                sink.write_all(&message).map_err(write_failed)?;
            }
            LogOutput::StdErr { message } => {
                stderr.extend_from_slice(&message);
                if stderr.len() > 4 * STDERR_TAIL {
                    stderr.drain(..stderr.len() - STDERR_TAIL);
                }
            }
            _ => {}
        }
    }
    let inspect = engine
        .docker
        .inspect_exec(&exec.id)
        .await
        .map_err(|e| failed(engine_message(&e)))?;
    let code = inspect.exit_code.unwrap_or(-1);
    if code != 0 || bytes == 0 {
        let tail = String::from_utf8_lossy(&stderr[stderr.len().saturating_sub(STDERR_TAIL)..])
            .trim()
            .to_string();
        return Err(failed(format!(
            "the dump command exited with {code}{}{}",
            if bytes == 0 { " and wrote nothing" } else { "" },
            if tail.is_empty() {
                String::new()
            } else {
                format!(":\n{tail}")
            }
        )));
    }
    Ok(bytes)
}
