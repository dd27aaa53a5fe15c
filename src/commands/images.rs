//! `images prune [--keep N] [--dry-run]`: remove unused images, but never one a container
//! uses, one of the newest N tags of a repository, or a rollback point of a saved spec.

use std::collections::BTreeSet;

use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListImagesOptionsBuilder, RemoveImageOptionsBuilder,
};
use serde_json::json;

use crate::cli::args::{Format, ImagesPruneArgs};
use crate::engine::Engine;
use crate::error::{Error, Result, engine_message};
use crate::guard::audit;
use crate::runmode::images::{self, Image};
use crate::runmode::specs;
use crate::ui::table::{human_bytes, render};

/// Runs `images prune`.
pub async fn prune(engine: &Engine, args: &ImagesPruneArgs) -> Result<()> {
    let listed = engine
        .docker
        .list_images(Some(ListImagesOptionsBuilder::default().all(false).build()))
        .await?;
    let images: Vec<Image> = listed
        .into_iter()
        .map(|i| Image {
            id: i.id,
            tags: i.repo_tags,
            created: i.created,
            size: i.size,
        })
        .collect();
    let containers = engine
        .docker
        .list_containers(Some(
            ListContainersOptionsBuilder::default().all(true).build(),
        ))
        .await?;
    let in_use: BTreeSet<String> = containers.into_iter().filter_map(|c| c.image_id).collect();
    let decisions = images::plan(&images, &in_use, &specs::all_rollback_points(), args.keep);
    if args.format == Format::Json && args.dry_run {
        return super::print(
            &(serde_json::to_string_pretty(&decisions).expect("plan serializes") + "\n"),
        );
    }
    let rows: Vec<Vec<String>> = decisions
        .iter()
        .map(|d| {
            vec![
                d.reference.clone(),
                d.action.to_uppercase(),
                human_bytes(d.size_bytes.max(0) as u64),
                d.reason.clone(),
            ]
        })
        .collect();
    // The plan is data: stdout, with or without --dry-run (in JSON, with what was done).
    if args.format == Format::Table {
        super::print(&render("", &["IMAGE", "ACTION", "SIZE", "WHY"], &rows))?;
    }
    if args.dry_run {
        return Ok(());
    }
    let mut removed = Vec::new();
    let mut failed = Vec::new();
    let mut out = String::new();
    let mut reclaimed = 0u64;
    for decision in decisions.iter().filter(|d| d.action == "remove") {
        let options = RemoveImageOptionsBuilder::default().build();
        match engine
            .docker
            .remove_image(&decision.reference, Some(options), None)
            .await
        {
            Ok(items) => {
                for item in items {
                    if let Some(tag) = item.untagged {
                        out.push_str(&format!("untagged: {tag}\n"));
                    }
                    if let Some(id) = item.deleted {
                        out.push_str(&format!("deleted: {id}\n"));
                    }
                }
                reclaimed += decision.size_bytes.max(0) as u64;
                removed.push(decision.reference.clone());
            }
            Err(err) => {
                crate::say!("Error response from daemon: {}", engine_message(&err));
                failed.push(decision.reference.clone());
            }
        }
    }
    let outcome = if failed.is_empty() {
        "ok".to_string()
    } else {
        format!("failed: {}", failed.join(", "))
    };
    audit::record(
        "images prune",
        &format!("keep {}", args.keep),
        outcome,
        json!({"removed": removed, "failed": failed}),
    );
    if args.format == Format::Json {
        let report = json!({
            "plan": decisions,
            "removed": removed,
            "failed": failed,
            "reclaimed_bytes": reclaimed,
        });
        super::print(&(serde_json::to_string_pretty(&report).expect("json") + "\n"))?;
    } else {
        super::print(&docker_style_report(&out, reclaimed))?;
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::failure(format!(
            "could not remove {}",
            failed.join(", ")
        )))
    }
}

/// What was removed (`removed`: untagged/deleted lines), as `docker image prune` says it.
fn docker_style_report(removed: &str, reclaimed: u64) -> String {
    let mut report = String::new();
    if !removed.is_empty() {
        report.push_str("Deleted Images:\n");
        report.push_str(removed);
        report.push('\n');
    }
    report.push_str(&format!(
        "Total reclaimed space: {}\n",
        human_bytes(reclaimed)
    ));
    report
}
