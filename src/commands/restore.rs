//! `restore BACKUP`: verified restore of volumes (and images), with confirmation and a
//! safety backup before anything that holds data is overwritten.

use crate::backup::metrics::{Operation, Run};
use crate::backup::restore::{self, RestoreRequest};
use crate::backup::store;
use crate::cancel::Cancel;
use crate::cli::args::{Format, RestoreArgs};
use crate::engine::Engine;
use crate::error::Result;
use crate::ui::table::{human_bytes, render};

/// Runs `restore`.
pub async fn run(engine: &Engine, args: &RestoreArgs, cancel: &Cancel) -> Result<()> {
    let env = |n: &str| std::env::var(n).ok();
    let request = RestoreRequest {
        dir: store::resolve(&args.backup, args.location.to.as_deref(), &env)?,
        selections: args.volumes.clone(),
        confirm: args.confirm.clone(),
        start: !args.no_start,
        trusted_volume_options: args.trust_volume_options.clone(),
        preserve_special: args.preserve_special,
        lock_wait: args.lock.wait(),
        images: args.images,
        stop_timeout: args.stop.timeout,
        safety_root: store::backup_root(args.location.to.as_deref(), &env)?,
        shell_image: None,
    };
    let started = std::time::Instant::now();
    let outcome = restore::restore(engine, &request, cancel).await;
    let restored = outcome.as_ref().ok().map(|o| &o.volumes);
    super::record_metrics(
        args.metrics.metrics_file.as_deref(),
        &Run {
            operation: Operation::Restore,
            target: store::read_manifest(&request.dir)
                .map(|m| m.target.name)
                .unwrap_or_else(|_| request.dir.display().to_string()),
            success: outcome.is_ok(),
            seconds: started.elapsed().as_secs_f64(),
            bytes: restored.map(|v| v.iter().map(|v| v.total_bytes).sum()),
            files: restored.map(|v| v.iter().map(|v| v.file_count).sum()),
            rto_seconds: None,
        },
    );
    crate::guard::audit::record(
        "restore",
        &request.dir.display().to_string(),
        crate::guard::audit::outcome_of(&outcome),
        serde_json::json!({
            "volumes": outcome.as_ref().ok().map(|o| &o.volumes),
            "confirmation": outcome.as_ref().ok().and_then(|o| o.confirmation),
            "safety_backup": outcome.as_ref().ok().and_then(|o| o.safety_backup.clone()),
        }),
    );
    let outcome = outcome?;
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&outcome).expect("outcome serializes") + "\n",
        Format::Table => {
            let mut out = format!("restored from {}\n", outcome.backup);
            let rows: Vec<Vec<String>> = outcome
                .volumes
                .iter()
                .map(|v| {
                    vec![
                        v.from.clone(),
                        if v.created {
                            format!("{} (created)", v.into)
                        } else {
                            v.into.clone()
                        },
                        v.file_count.to_string(),
                        human_bytes(v.total_bytes),
                        "every file checked".to_string(),
                    ]
                })
                .collect();
            out.push_str(&render(
                "  ",
                &["FROM", "INTO", "FILES", "CONTENT", "CHECK"],
                &rows,
            ));
            if let Some(safety) = &outcome.safety_backup {
                out.push_str(&format!("  previous content saved in {safety}\n"));
            }
            if !outcome.started.is_empty() {
                out.push_str(&format!(
                    "  started again: {}\n",
                    outcome.started.join(", ")
                ));
            } else if !outcome.stopped.is_empty() {
                out.push_str(&format!(
                    "  left stopped (--no-start): {}\n",
                    outcome.stopped.join(", ")
                ));
            }
            if !outcome.images_loaded.is_empty() {
                out.push_str(&format!(
                    "  images loaded: {}\n",
                    outcome.images_loaded.join(", ")
                ));
            }
            out
        }
    };
    super::print(&text)
}
