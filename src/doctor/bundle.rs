//! `doctor --report FILE.tar.gz`: a diagnosis bundle to hand to a colleague or attach
//! to a ticket, with every secret redacted: the doctor report, engine info and disk
//! usage, a `ps`-like listing, each container's inspect document and last log lines,
//! and each project's resolved compose model. Every file in it, and the bundle itself,
//! is owner-only (0600). The bundle is small (a few hundred log lines per container)
//! and is built in memory, then written atomically.

use std::path::Path;
use std::time::{Duration, SystemTime};

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::Value;

use super::{Facts, Report};
use crate::error::{Error, Result};
use crate::redact;
use crate::ui::table::render;

/// Log lines of each container in the bundle.
const LOG_LINES: usize = 200;
/// How long `docker system df` may take before the bundle goes without it.
const DF_TIMEOUT: Duration = Duration::from_secs(30);

/// Writes the bundle to `path` (atomically: a temporary file renamed into place).
/// Without facts (the engine was unreachable) it holds the report alone.
pub async fn write(facts: Option<&Facts>, report: &Report, path: &Path) -> Result<()> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let json = |mut value: Value| {
        redact::json(&mut value);
        let mut bytes = serde_json::to_vec_pretty(&value).expect("JSON serializes");
        bytes.push(b'\n');
        bytes
    };
    files.push((
        "doctor.json".into(),
        json(serde_json::to_value(report).expect("report serializes")),
    ));
    if let Some(facts) = facts {
        engine_files(facts, &json, &mut files).await;
    }
    let path = std::path::absolute(path).map_err(|e| Error::usage(e.to_string()))?;
    check_destination(&path)?;
    tokio::task::spawn_blocking(move || pack(&path, &files))
        .await
        .map_err(|e| Error::failure(e.to_string()))?
}

/// The report goes to a new or replaced file in an existing directory: a typo in the
/// path is an input error, not a directory created somewhere.
pub fn check_destination(path: &Path) -> Result<()> {
    let usage = |what: String| {
        Err(Error::usage(what)
            .hint("give a file name in an existing directory, e.g. --report ./doctor.tar.gz"))
    };
    if path.is_dir() {
        return usage(format!("--report {}: is a directory", path.display()));
    }
    match path.parent() {
        // A bare file name's parent is empty: this directory.
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => usage(format!(
            "--report {}: {} is not a directory",
            path.display(),
            dir.display()
        )),
        _ => Ok(()),
    }
}

/// What the engine tells about itself and the examined targets.
async fn engine_files(
    facts: &Facts,
    json: &dyn Fn(Value) -> Vec<u8>,
    files: &mut Vec<(String, Vec<u8>)>,
) {
    files.push(("engine/info.json".into(), json(facts.info.clone())));
    match tokio::time::timeout(DF_TIMEOUT, facts.engine.get_raw_json("/system/df")).await {
        Ok(Ok(df)) => files.push(("engine/disk-usage.json".into(), json(own_usage(facts, df)))),
        Ok(Err(err)) => files.push((
            "engine/disk-usage.error".into(),
            err.to_string().into_bytes(),
        )),
        Err(_) => files.push((
            "engine/disk-usage.error".into(),
            format!("docker system df took longer than {DF_TIMEOUT:?}").into_bytes(),
        )),
    }
    files.push(("containers.txt".into(), listing(facts).into_bytes()));
    for subject in &facts.subjects {
        if let Some(config) = &subject.config {
            files.push((
                format!(
                    "compose/{}.json",
                    crate::engine::names::sanitized(&subject.name)
                ),
                json(config.clone()),
            ));
        }
        for c in &subject.containers {
            let name = crate::engine::names::sanitized(&c.name);
            files.push((format!("inspect/{name}.json"), json(c.doc.clone())));
            let log = match crate::engine::logs::tail(&facts.engine, &c.id, LOG_LINES).await {
                Ok(lines) => lines
                    .iter()
                    .map(|l| format!("{}\n", redact::text(l)))
                    .collect::<String>(),
                Err(err) => format!("cannot read the logs: {err}\n"),
            };
            files.push((format!("logs/{name}.log"), log.into_bytes()));
        }
    }
}

/// `docker system df` cut down to the examined targets: the bundle is about them, and
/// other projects' containers (their command lines) have no place in it.
fn own_usage(facts: &Facts, mut df: Value) -> Value {
    let containers: Vec<&super::facts::Inspected> =
        facts.subjects.iter().flat_map(|s| &s.containers).collect();
    let volumes: Vec<&str> = containers
        .iter()
        .flat_map(|c| c.mounts())
        .filter_map(|m| m.get("Name").and_then(Value::as_str))
        .collect();
    if let Some(list) = df.get_mut("Containers").and_then(Value::as_array_mut) {
        list.retain(|c| {
            let id = c.get("Id").and_then(Value::as_str).unwrap_or("");
            containers.iter().any(|own| own.id == id)
        });
    }
    if let Some(list) = df.get_mut("Volumes").and_then(Value::as_array_mut) {
        list.retain(|v| volumes.contains(&v.get("Name").and_then(Value::as_str).unwrap_or("")));
    }
    if let Some(map) = df.as_object_mut() {
        map.remove("BuildCache");
    }
    df
}

/// A `docker ps -a`-like table of the examined containers.
fn listing(facts: &Facts) -> String {
    let rows: Vec<Vec<String>> = facts
        .subjects
        .iter()
        .flat_map(|s| s.containers.iter().map(move |c| (s, c)))
        .map(|(s, c)| {
            let at = |p: &str| {
                c.doc
                    .pointer(p)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            vec![
                s.name.clone(),
                c.name.clone(),
                at("/Config/Image"),
                c.state().to_string(),
                c.health().unwrap_or("-").to_string(),
                c.exit_code().to_string(),
                c.restart_policy().to_string(),
                at("/State/StartedAt"),
            ]
        })
        .collect();
    render(
        "",
        &[
            "TARGET",
            "CONTAINER",
            "IMAGE",
            "STATE",
            "HEALTH",
            "EXIT",
            "RESTART",
            "STARTED",
        ],
        &rows,
    )
}

fn pack(path: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    let failed = |err: std::io::Error| {
        Error::failure(format!("cannot write the report {}: {err}", path.display()))
    };
    let mtime = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let mut tar = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    for (name, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o600);
        header.set_mtime(mtime);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(
            &mut header,
            format!("safeops-doctor/{name}"),
            bytes.as_slice(),
        )
        .map_err(failed)?;
    }
    let bytes = tar
        .into_inner()
        .and_then(|gz| gz.finish())
        .map_err(failed)?;
    crate::state::write_private(path, &bytes).map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_goes_into_an_existing_directory_this_one_included() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_destination(Path::new("report.tar.gz")).is_ok());
        assert!(check_destination(&dir.path().join("report.tar.gz")).is_ok());
        for refused in [
            dir.path().to_path_buf(),
            dir.path().join("no/report.tar.gz"),
        ] {
            let err = check_destination(&refused).unwrap_err();
            assert_eq!(err.code, crate::error::ExitCode::Usage, "{}", err.message);
        }
    }
}
