//! `volume rm VOLUME...`: `docker volume rm`, guarded. Prints the names it removed on
//! stdout and the engine's errors on stderr, like the Docker CLI.

use bollard::query_parameters::RemoveVolumeOptionsBuilder;
use serde_json::json;

use crate::audit;
use crate::backup::create::Subject;
use crate::backup::store;
use crate::cancel::Cancel;
use crate::cli::{Format, VolumeRmArgs};
use crate::engine::Engine;
use crate::error::{Error, Result, engine_message};
use crate::guard::{self, PlanFacts};
use crate::inventory;
use crate::protect::Policy;
use crate::target::Mode;

/// Runs `volume rm`.
pub async fn rm(engine: &Engine, args: &VolumeRmArgs, cancel: &Cancel) -> Result<()> {
    let env = |n: &str| std::env::var(n).ok();
    let containers = inventory::containers(engine).await?;
    let volumes = inventory::volumes(engine).await?;
    let sizes = inventory::volume_sizes(engine).await.unwrap_or(None);
    let policy = Policy::load(&Policy::default_path(&env))?;
    let backup_root = store::backup_root(None, &env);
    let last_backups = store::last_backup_per_volume(&backup_root);
    let plan = guard::plan_volume_rm(
        &args.volumes,
        &PlanFacts {
            containers: &containers,
            volumes: &volumes,
            sizes: sizes.as_ref(),
            policy: &policy,
            last_backups: &last_backups,
        },
    )?;
    if args.dry_run {
        return super::print(&match args.format {
            Format::Json => serde_json::to_string_pretty(&plan).expect("plan serializes") + "\n",
            Format::Table => plan.render(),
        });
    }
    let protected: Vec<&str> = plan
        .protected_removals()
        .iter()
        .map(|v| v.name.as_str())
        .collect();
    let expected = protected.join(",");
    let allowed = super::guarded::allow(
        engine,
        &plan,
        super::guarded::Guard {
            verb: "volume rm",
            expected: &expected,
            given: args.confirm.as_deref(),
            command: format!("docker safeops volume rm {}", args.volumes.join(" ")),
            no_backup: args.no_backup,
            subject: Subject {
                kind: "volumes".into(),
                name: protected
                    .first()
                    .map_or_else(String::new, |n| n.to_string()),
                mode: Mode::Run,
                containers: Vec::new(),
                volumes: Default::default(),
                files: None,
            },
            backup_root,
            stop_timeout: 10,
        },
        cancel,
    )
    .await?;
    let mut failed = Vec::new();
    for name in &args.volumes {
        let options = RemoveVolumeOptionsBuilder::default()
            .force(args.force)
            .build();
        match engine.docker.remove_volume(name, Some(options)).await {
            Ok(()) => println!("{name}"),
            Err(err) => {
                eprintln!("Error response from daemon: {}", engine_message(&err));
                failed.push(name.clone());
            }
        }
    }
    audit::record(json!({
        "verb": "volume rm",
        "volumes": args.volumes,
        "plan": plan,
        "confirmation": allowed.confirmation,
        "no_backup": args.no_backup,
        "safety_backup": allowed.safety_backup.as_ref().map(|p| p.display().to_string()),
        "outcome": if failed.is_empty() { "ok".to_string() } else { format!("failed: {}", failed.join(", ")) },
    }));
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::failure(format!(
            "could not remove {}",
            failed.join(", ")
        )))
    }
}
