//! Prometheus metrics in node_exporter's textfile format (seed 003: "monitoring backup
//! success rate and duration with Prometheus + Alertmanager"): after every backup,
//! restore and drill, the figures of each target's last runs are written to the
//! metrics file, atomically (a temporary file renamed over it), world-readable for the
//! exporter. The figures of earlier runs, and of other targets, are kept in the state
//! directory so that every write holds them all.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// What ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    /// `backup`.
    Backup,
    /// `restore`.
    Restore,
    /// `drill`.
    Drill,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Backup => "backup",
            Operation::Restore => "restore",
            Operation::Drill => "drill",
        }
    }
}

/// One run, as it ended.
#[derive(Debug, Clone)]
pub struct Run {
    /// What ran.
    pub operation: Operation,
    /// Of which target.
    pub target: String,
    /// Whether it succeeded (a drill: passed).
    pub success: bool,
    /// How long it took.
    pub seconds: f64,
    /// Bytes it wrote or restored, when it succeeded.
    pub bytes: Option<u64>,
    /// Files it wrote or restored, when it succeeded.
    pub files: Option<u64>,
    /// A drill's recovery time.
    pub rto_seconds: Option<f64>,
}

/// The figures kept for one operation of one target.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Figures {
    last_success_timestamp: Option<f64>,
    last_run_timestamp: f64,
    last_success: bool,
    last_duration: f64,
    last_bytes: Option<u64>,
    last_files: Option<u64>,
    last_rto: Option<f64>,
    runs: u64,
    failures: u64,
    /// The metrics file its last run wrote (absolute): a file holds the series of the
    /// targets whose runs write it, so that two files of one textfile collector (one
    /// per schedule) never hold the same series. `None`: recorded by a version that
    /// kept no file (given the next file written).
    #[serde(default)]
    file: Option<PathBuf>,
}

type State = BTreeMap<(Operation, String), Figures>;

fn state_path() -> PathBuf {
    crate::state::state_dir().join("metrics.json")
}

fn load() -> State {
    let Ok(bytes) = std::fs::read(state_path()) else {
        return State::new();
    };
    let list: Vec<((Operation, String), Figures)> =
        serde_json::from_slice(&bytes).unwrap_or_default();
    list.into_iter().collect()
}

/// Records `run` and rewrites the metrics file at `path`. Concurrent runs take turns
/// (a lock beside the state), so that none loses another's figures.
pub fn record(path: &Path, run: &Run) -> io::Result<()> {
    crate::state::create_private_dir(&crate::state::state_dir())?;
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(crate::state::state_dir().join("metrics.lock"))?;
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)?;
    let mut state = load();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let file = std::path::absolute(path)?;
    // Figures an earlier version kept without their file belong to the first file
    // written now: held by every file, they would be duplicates for ever.
    for figures in state.values_mut() {
        figures.file.get_or_insert_with(|| file.clone());
    }
    let figures = state
        .entry((run.operation, run.target.clone()))
        .or_default();
    figures.file = Some(file.clone());
    figures.last_run_timestamp = now;
    figures.last_success = run.success;
    figures.last_duration = run.seconds;
    figures.runs += 1;
    if run.success {
        figures.last_success_timestamp = Some(now);
        figures.last_bytes = run.bytes.or(figures.last_bytes);
        figures.last_files = run.files.or(figures.last_files);
        figures.last_rto = run.rto_seconds.or(figures.last_rto);
    } else {
        figures.failures += 1;
    }
    let list: Vec<(&(Operation, String), &Figures)> = state.iter().collect();
    crate::state::write_private(
        &state_path(),
        &serde_json::to_vec(&list).expect("serializes"),
    )?;
    // World-readable: the exporter runs as another user.
    crate::state::write_atomic(path, render(&state, &file).as_bytes(), 0o644)
}

/// A label value escaped as the exposition format wants.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// One metric family: its name, type, help, and the value of each series.
struct Family {
    name: String,
    kind: &'static str,
    help: String,
    value: fn(&Figures) -> Option<f64>,
}

fn families(operation: Operation) -> Vec<Family> {
    let op = operation.name();
    let mut list = vec![
        Family {
            name: format!("docker_safeops_{op}_last_success_timestamp_seconds"),
            kind: "gauge",
            help: format!("When the last successful {op} of the target ended (Unix time)."),
            value: |f| f.last_success_timestamp,
        },
        Family {
            name: format!("docker_safeops_{op}_last_run_timestamp_seconds"),
            kind: "gauge",
            help: format!("When the last {op} of the target ended, successful or not (Unix time)."),
            value: |f| Some(f.last_run_timestamp),
        },
        Family {
            name: format!("docker_safeops_{op}_last_success"),
            kind: "gauge",
            help: format!("1 when the last {op} of the target succeeded, else 0."),
            value: |f| Some(if f.last_success { 1.0 } else { 0.0 }),
        },
        Family {
            name: format!("docker_safeops_{op}_last_duration_seconds"),
            kind: "gauge",
            help: format!("How long the last {op} of the target took."),
            value: |f| Some(f.last_duration),
        },
        Family {
            name: format!("docker_safeops_{op}_runs_total"),
            kind: "counter",
            help: format!("{op} runs of the target."),
            value: |f| Some(f.runs as f64),
        },
        Family {
            name: format!("docker_safeops_{op}_failures_total"),
            kind: "counter",
            help: format!("Failed {op} runs of the target."),
            value: |f| Some(f.failures as f64),
        },
    ];
    if operation != Operation::Drill {
        list.push(Family {
            name: format!("docker_safeops_{op}_last_size_bytes"),
            kind: "gauge",
            help: format!("Bytes of files in the last successful {op} of the target."),
            value: |f| f.last_bytes.map(|b| b as f64),
        });
        list.push(Family {
            name: format!("docker_safeops_{op}_last_files"),
            kind: "gauge",
            help: format!("Files in the last successful {op} of the target."),
            value: |f| f.last_files.map(|n| n as f64),
        });
    } else {
        list.push(Family {
            name: "docker_safeops_drill_last_rto_seconds".into(),
            kind: "gauge",
            help: "Recovery time of the last passed drill: from the start of the restore until the services were healthy.".into(),
            value: |f| f.last_rto,
        });
    }
    list
}

/// The textfile for every target and operation in `state`.
/// The metrics file `file` (absolute): the series of the runs that write it.
fn render(state: &State, file: &Path) -> String {
    let mut out = String::new();
    for operation in [Operation::Backup, Operation::Restore, Operation::Drill] {
        let series: Vec<(&String, &Figures)> = state
            .iter()
            .filter(|((op, _), f)| *op == operation && f.file.as_deref().is_none_or(|f| f == file))
            .map(|((_, target), f)| (target, f))
            .collect();
        if series.is_empty() {
            continue;
        }
        for family in families(operation) {
            let samples: Vec<String> = series
                .iter()
                .filter_map(|(target, f)| {
                    let value = (family.value)(f)?;
                    Some(format!(
                        "{}{{target=\"{}\"}} {value}\n",
                        family.name,
                        escape(target)
                    ))
                })
                .collect();
            if samples.is_empty() {
                continue;
            }
            out.push_str(&format!("# HELP {} {}\n", family.name, family.help));
            out.push_str(&format!("# TYPE {} {}\n", family.name, family.kind));
            out.extend(samples);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textfile_shape() {
        let mut state = State::new();
        state.insert(
            (Operation::Backup, "shop \"a\"".into()),
            Figures {
                last_success_timestamp: Some(1.0),
                last_run_timestamp: 2.0,
                last_success: false,
                last_duration: 1.5,
                last_bytes: Some(10),
                last_files: Some(2),
                last_rto: None,
                runs: 3,
                failures: 1,
                file: None,
            },
        );
        let here = Path::new("/var/lib/node_exporter/shop.prom");
        state.insert(
            (Operation::Backup, "blog".into()),
            Figures {
                file: Some("/var/lib/node_exporter/blog.prom".into()),
                ..Figures::default()
            },
        );
        let text = render(&state, here);
        assert!(!text.contains("blog"), "another file's series: {text}");
        assert!(text.contains("# TYPE docker_safeops_backup_failures_total counter\n"));
        assert!(text.contains("docker_safeops_backup_last_success{target=\"shop \\\"a\\\"\"} 0\n"));
        assert!(
            text.contains("docker_safeops_backup_last_size_bytes{target=\"shop \\\"a\\\"\"} 10\n")
        );
        assert!(!text.contains("drill"));
    }
}
