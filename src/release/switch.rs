//! Switching containers over to a released image, and back when it fails its gate.
//!
//! Run mode goes through the recreate steps (rename aside, create, start, gate, remove
//! the old one; on failure the new one goes and the old one comes back). Compose mode
//! tags the image with the reference the compose file names and runs `up -d --no-deps`
//! for the service, so compose stays the owner of its containers; on failure the
//! reference goes back to the image the service ran before, and `up` runs again.

use bollard::query_parameters::TagImageOptionsBuilder;
use serde_json::Value;

use super::gate::Gate;
use super::{ContainerReport, Outcome, tag_parts};
use crate::compose::Stdout;
use crate::engine::{Engine, inventory};
use crate::error::{Error, Result, engine_message};
use crate::runmode::recreate::{self, OnFailure, Timing};
use crate::runmode::{restart_check, specs};
use crate::target::{Discovery, Project};

/// What every switch of one release shares.
pub struct Release<'a> {
    /// The target engine.
    pub engine: &'a Engine,
    /// The released image's id.
    pub image_id: &'a str,
    /// What the checks are.
    pub gate: &'a Gate,
    /// Whether a failed container goes back to its previous image.
    pub rollback: bool,
    /// Seconds an old container gets to stop.
    pub stop_timeout: i32,
}

/// Points `reference` (when it is a name) at the image `id` on `engine`.
pub async fn tag(engine: &Engine, id: &str, reference: &str) -> Result<()> {
    let Some((repo, tag)) = tag_parts(reference) else {
        return Ok(());
    };
    let options = TagImageOptionsBuilder::default()
        .repo(&repo)
        .tag(&tag)
        .build();
    engine
        .docker
        .tag_image(id, Some(options))
        .await
        .map_err(|e| {
            Error::failure(format!(
                "cannot tag {id} as {reference} on the target: {}",
                engine_message(&e)
            ))
        })
}

/// The image's own healthcheck, to wait as long as it needs.
async fn image_healthcheck(engine: &Engine, id: &str) -> Value {
    let config = engine
        .docker
        .inspect_image(id)
        .await
        .ok()
        .and_then(|i| i.config)
        .map(|c| serde_json::to_value(c).unwrap_or_default())
        .unwrap_or_default();
    config["Healthcheck"].clone()
}

impl Release<'_> {
    /// Switches the run-mode container `id` over to the image, created as `reference`.
    pub async fn run_mode(&self, id: &str, reference: &str) -> Result<ContainerReport> {
        // Saving the spec first records the current image as a rollback point, which
        // `images prune` keeps and `rollback` goes back to.
        let spec = specs::save_current(self.engine, id).await?;
        let name = spec["Name"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_string();
        let from_image = spec["Image"].as_str().unwrap_or_default().to_string();
        let mut report = ContainerReport {
            name: name.clone(),
            from_image: from_image.clone(),
            to_image: self.image_id.to_string(),
            outcome: Outcome::Unchanged,
            message: None,
        };
        if from_image == self.image_id {
            return Ok(report);
        }
        let new_check = image_healthcheck(self.engine, self.image_id).await;
        let timing = Timing {
            stop_timeout: self.stop_timeout,
            patience: self
                .gate
                .patience(&[&spec["Config"]["Healthcheck"], &new_check]),
        };
        let on_failure = match self.rollback {
            true => OnFailure::PutBack,
            false => OnFailure::KeepNew,
        };
        let gate = async |new_id: &str| self.gate.probes(self.engine, new_id).await;
        let switched = recreate::replace_checked(
            self.engine,
            &spec,
            Some(reference),
            timing,
            gate,
            on_failure,
        )
        .await;
        match switched {
            Ok(recreated) => {
                if let Err(err) = specs::save_current(self.engine, &recreated.id).await {
                    eprintln!("warning: {err}");
                }
                report.outcome = Outcome::Released;
            }
            Err(err) => {
                report.outcome = match self.rollback {
                    true => Outcome::RolledBack,
                    false => Outcome::Failed,
                };
                report.to_image = match self.rollback {
                    true => from_image,
                    false => self.image_id.to_string(),
                };
                report.message = Some(err.message);
            }
        }
        Ok(report)
    }

    /// Switches compose service `service` of `project` over to the image, through
    /// compose: the reference its file names is tagged, then `up -d --no-deps`.
    pub async fn compose_mode(
        &self,
        discovery: &Discovery<'_>,
        project: &Project,
        service: &str,
        reference: &str,
    ) -> Result<Vec<ContainerReport>> {
        let before = self.service_containers(&project.name, service).await?;
        let mut reports = Vec::new();
        let mut previous: Option<String> = None;
        for container in &before {
            let spec = specs::save_current(self.engine, &container.id).await?;
            let image = spec["Image"].as_str().unwrap_or_default().to_string();
            previous.get_or_insert(image.clone());
            reports.push(ContainerReport {
                name: container.name.clone(),
                from_image: image,
                to_image: self.image_id.to_string(),
                outcome: Outcome::Unchanged,
                message: None,
            });
        }
        if !reports.is_empty() && reports.iter().all(|r| r.from_image == self.image_id) {
            return Ok(reports);
        }
        tag(self.engine, self.image_id, reference).await?;
        let failure = match self.up(discovery, project, service).await {
            Ok(()) => self.check_service(&project.name, service).await.err(),
            Err(err) => Some(err),
        };
        let Some(failure) = failure else {
            for report in &mut reports {
                report.outcome = Outcome::Released;
            }
            for container in self.service_containers(&project.name, service).await? {
                if let Err(err) = specs::save_current(self.engine, &container.id).await {
                    eprintln!("warning: {err}");
                }
                if !reports.iter().any(|r| r.name == container.name) {
                    reports.push(ContainerReport {
                        name: container.name.clone(),
                        from_image: String::new(),
                        to_image: self.image_id.to_string(),
                        outcome: Outcome::Released,
                        message: None,
                    });
                }
            }
            return Ok(reports);
        };
        let mut message = failure.message.clone();
        let rolled_back = match (&previous, self.rollback) {
            (Some(previous), true) => {
                let back = async {
                    tag(self.engine, previous, reference).await?;
                    self.up(discovery, project, service).await?;
                    self.check_service(&project.name, service).await
                }
                .await;
                match back {
                    Ok(()) => {
                        message.push_str(&format!("\n{service} is back on its previous image"));
                        true
                    }
                    Err(err) => {
                        message.push_str(&format!(
                            "\nthe rollback to its previous image failed too: {}",
                            err.message
                        ));
                        false
                    }
                }
            }
            (None, true) => {
                message.push_str(&format!(
                    "\n{service} ran no container before: there is nothing to roll back to"
                ));
                false
            }
            (_, false) => {
                message.push_str("\nthe new containers were kept (--no-rollback)");
                false
            }
        };
        if reports.is_empty() {
            reports.push(ContainerReport {
                name: service.to_string(),
                from_image: String::new(),
                to_image: self.image_id.to_string(),
                outcome: Outcome::Failed,
                message: None,
            });
        }
        for report in &mut reports {
            report.outcome = if rolled_back {
                report.to_image = report.from_image.clone();
                Outcome::RolledBack
            } else {
                Outcome::Failed
            };
            report.message = Some(message.clone());
        }
        Ok(reports)
    }

    async fn service_containers(
        &self,
        project: &str,
        service: &str,
    ) -> Result<Vec<inventory::Container>> {
        Ok(inventory::containers(self.engine)
            .await?
            .into_iter()
            .filter(|c| c.project() == Some(project) && c.service() == Some(service))
            .collect())
    }

    async fn up(&self, discovery: &Discovery<'_>, project: &Project, service: &str) -> Result<()> {
        let argv = ["up", "-d", "--no-deps", service];
        discovery.compose(project, &argv, Stdout::OnStderr).await
    }

    /// The gate, for every container of the service.
    async fn check_service(&self, project: &str, service: &str) -> Result<()> {
        let containers = self.service_containers(project, service).await?;
        if containers.is_empty() {
            return Err(Error::failure(format!(
                "compose created no container for {service}"
            )));
        }
        for container in containers {
            let doc = self
                .engine
                .get_raw_json(&format!("/containers/{}/json", container.id))
                .await?;
            let new_check = image_healthcheck(self.engine, self.image_id).await;
            let patience = self
                .gate
                .patience(&[&doc["Config"]["Healthcheck"], &new_check]);
            restart_check::check(self.engine, &container.id, &container.name, patience).await?;
            self.gate.probes(self.engine, &container.id).await?;
        }
        Ok(())
    }
}
