//! Switching containers over to a released image, and back when it fails its gate.
//!
//! Run mode goes through the recreate steps (rename aside, create, start, gate, remove
//! the old one; on failure the new one goes and the old one comes back). Compose mode
//! tags the image with the reference the compose file names and runs `up -d --no-deps`
//! for the service, so compose stays the owner of its containers; on failure the
//! reference goes back to the image the service ran before, and `up` runs again.

use bollard::query_parameters::{RemoveImageOptionsBuilder, TagImageOptionsBuilder};
use serde_json::Value;

use super::gate::Gate;
use super::{ContainerReport, Outcome, tag_parts};
use crate::cancel::Cancel;
use crate::compose::{Generation, Stdout};
use crate::engine::{Engine, inventory};
use crate::error::{Error, ExitCode, Result, engine_message};
use crate::runmode::recreate::{self, OnFailure, Timing};
use crate::runmode::{restart_check, specs};
use crate::target::{Discovery, Project};

/// Which gate a compose service goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// The release's own.
    Release,
    /// The rollback's, back on the previous image.
    Rollback,
}

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
    /// Seconds an old container gets to stop (`-t`), when given: else its own stop
    /// timeout (see [`recreate::stop_timeout`]).
    pub stop_timeout: Option<i32>,
    /// Ctrl-C: ends a gate's wait, which then counts as failed (the old one comes back).
    pub cancel: &'a Cancel,
}

/// Where `reference` points on `engine` now (an image id), when it is a name there.
pub async fn tagged(engine: &Engine, reference: &str) -> Option<String> {
    tag_parts(reference)?;
    engine.docker.inspect_image(reference).await.ok()?.id
}

/// Puts `reference` back where it pointed before a failed release (`previous`), or
/// removes it when it named nothing: a later recreate must not pick up a rejected image.
pub async fn untag(engine: &Engine, reference: &str, previous: Option<&str>) -> Result<()> {
    if tag_parts(reference).is_none() {
        return Ok(());
    }
    match previous {
        Some(id) => tag(engine, id, reference).await,
        None => {
            let options = RemoveImageOptionsBuilder::default().noprune(true).build();
            engine
                .docker
                .remove_image(reference, Some(options), None)
                .await
                .map(|_| ())
                .map_err(|e| {
                    Error::failure(format!(
                        "cannot remove the tag {reference} of the rejected image: {}",
                        engine_message(&e)
                    ))
                })
        }
    }
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
    /// Switches the run-mode container `id` over to the image, created as `reference`
    /// (tagged first; put back as it was when the release fails).
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
            return self.unchanged(report, id, &spec).await;
        }
        // A digest or an id cannot be tagged: the container is created by the image id.
        let create_as = match tag_parts(reference) {
            Some(_) => reference,
            None => self.image_id,
        };
        // Before the tag moves: a refusal changes nothing.
        recreate::refuse_joined(self.engine, id, &name).await?;
        let previous_tag = tagged(self.engine, reference).await;
        tag(self.engine, self.image_id, reference).await?;
        let new_check = image_healthcheck(self.engine, self.image_id).await;
        let timing = Timing {
            stop_timeout: recreate::stop_timeout(self.stop_timeout, &spec),
            patience: self
                .gate
                .patience(&[&spec["Config"]["Healthcheck"], &new_check]),
        };
        let on_failure = match self.rollback {
            true => OnFailure::PutBack,
            false => OnFailure::KeepNew,
        };
        // Created by its tag, which another release or a pull may have moved since.
        let gate = async |new_id: &str| {
            self.runs_the_image(new_id, &name).await?;
            self.gate.probes(self.engine, new_id).await
        };
        let switched = recreate::replace_checked(
            self.engine,
            &spec,
            Some(create_as),
            timing,
            gate,
            on_failure,
            self.cancel,
        )
        .await;
        match switched {
            Ok(recreated) => {
                if let Err(err) = specs::save_current(self.engine, &recreated.id).await {
                    crate::say!("warning: {err}");
                }
                if let Some(warning) = recreated.warning {
                    crate::say!("warning: {warning}");
                }
                if !recreated.running {
                    crate::say!(
                        "note: {name} was stopped: replaced on the new image, not started (and \
                         so not checked)"
                    );
                }
                report.outcome = Outcome::Released;
            }
            Err(not) => {
                let mut err = not.error;
                let put_back = self.rollback || err.code == ExitCode::Interrupted;
                if put_back
                    && let Err(untag_err) =
                        untag(self.engine, reference, previous_tag.as_deref()).await
                {
                    err.message = format!("{}\n{}", err.message, untag_err.message);
                }
                // Rolled back only when the old container is back as it was.
                let rolled_back = put_back && not.old_back;
                report.outcome = match rolled_back {
                    true => Outcome::RolledBack,
                    false => Outcome::Failed,
                };
                report.to_image = match rolled_back {
                    true => from_image,
                    false => self.image_id.to_string(),
                };
                report.message = Some(err.message);
            }
        }
        Ok(report)
    }

    /// Fails when the container `id` (`name`) does not run the released image.
    async fn runs_the_image(&self, id: &str, name: &str) -> Result<()> {
        let doc = self
            .engine
            .get_raw_json(&format!("/containers/{id}/json"))
            .await?;
        match doc["Image"].as_str() {
            Some(image) if image == self.image_id => Ok(()),
            other => Err(Error::failure(format!(
                "{name} runs image {}, not the released {}",
                other.unwrap_or("?"),
                self.image_id
            ))),
        }
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
        let mut specs = Vec::new();
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
            specs.push(spec);
        }
        if !reports.is_empty() && reports.iter().all(|r| r.from_image == self.image_id) {
            let mut checked = Vec::new();
            for ((report, spec), container) in reports.into_iter().zip(&specs).zip(&before) {
                checked.push(self.unchanged(report, &container.id, spec).await?);
            }
            return Ok(checked);
        }
        if tag_parts(reference).is_none() {
            return Err(Error::usage(format!(
                "the compose file names {service}'s image as {reference}, by digest or id: \
                 compose would run that image, whatever is released"
            ))
            .hint("name the image by a tag in the compose file (e.g. shop:2.4)"));
        }
        // A service whose containers are all stopped (one-off jobs that ran, or stopped
        // by the operator) is released stopped, as `recreate` leaves it.
        let starts = specs.is_empty() || specs.iter().any(recreate::starts_again);
        let previous_tag = tagged(self.engine, reference).await;
        tag(self.engine, self.image_id, reference).await?;
        let failure = match self.up(discovery, project, service, starts).await {
            Ok(()) => self
                .check_service(&project.name, service, Check::Release, starts)
                .await
                .err(),
            Err(err) => Some(err),
        };
        let Some(failure) = failure else {
            for report in &mut reports {
                report.outcome = Outcome::Released;
            }
            for container in self.service_containers(&project.name, service).await? {
                if let Err(err) = specs::save_current(self.engine, &container.id).await {
                    crate::say!("warning: {err}");
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
        let rollback = self.rollback || failure.code == ExitCode::Interrupted;
        let rolled_back = match (&previous, rollback) {
            (Some(previous), true) => {
                let back = async {
                    tag(self.engine, previous, reference).await?;
                    self.up(discovery, project, service, starts).await?;
                    self.check_service(&project.name, service, Check::Rollback, starts)
                        .await?;
                    // The name goes back where it pointed (an image pulled and not yet
                    // deployed stays named, not dangling for a prune).
                    match previous_tag.as_deref() {
                        Some(before) if before != previous.as_str() => {
                            tag(self.engine, before, reference).await
                        }
                        _ => Ok(()),
                    }
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

    /// The report of container `id` (`spec`), which already runs the released image:
    /// it passes the gate still (running, healthy, stable, its probes), or this is no
    /// success (a release kept with `--no-rollback`, or one cut short, left it broken).
    async fn unchanged(
        &self,
        mut report: ContainerReport,
        id: &str,
        spec: &Value,
    ) -> Result<ContainerReport> {
        // One left stopped (by the operator, or by a release that replaced it stopped)
        // has nothing running to check.
        if spec["State"]["Running"].as_bool() != Some(true) {
            return Ok(report);
        }
        let patience = self.gate.patience(&[&spec["Config"]["Healthcheck"]]);
        let checked = async {
            restart_check::check(self.engine, id, &report.name, patience).await?;
            self.gate.probes(self.engine, id).await
        };
        match self
            .cancel
            .unless_cancelled(&format!("checking {}", report.name), checked)
            .await
        {
            Ok(()) => {}
            Err(err) if err.code == ExitCode::Interrupted => return Err(err),
            Err(err) => {
                report.outcome = Outcome::Failed;
                report.message = Some(format!(
                    "it already runs the released image, but: {}",
                    err.message
                ));
            }
        }
        Ok(report)
    }

    async fn service_containers(
        &self,
        project: &str,
        service: &str,
    ) -> Result<Vec<inventory::Container>> {
        Ok(inventory::containers(self.engine)
            .await?
            .into_iter()
            .filter(|c| c.project() == Some(project) && c.runs_service(service))
            .collect())
    }

    /// `compose up` of `service` on the image just tagged: its containers are started
    /// when `starts`, else only created.
    async fn up(
        &self,
        discovery: &Discovery<'_>,
        project: &Project,
        service: &str,
        starts: bool,
    ) -> Result<()> {
        let mut argv = vec!["up", if starts { "-d" } else { "--no-start" }, "--no-deps"];
        // Never a pull: it would replace the image just tagged (`pull_policy: always`).
        if project
            .cli
            .as_ref()
            .is_some_and(|c| c.generation() == Generation::V2)
        {
            argv.extend(["--pull", "never"]);
        }
        // Without -t, compose gives the service its stop_grace_period.
        let timeout = self.stop_timeout.map(|t| t.to_string());
        if let Some(timeout) = &timeout {
            argv.extend(["-t", timeout]);
        }
        argv.push(service);
        discovery.compose(project, &argv, Stdout::OnStderr).await
    }

    /// The gate, for every container of the service. A release's ends at Ctrl-C (a
    /// rollback's finishes) and wants the released image in every container; containers
    /// not `started` have nothing running to check.
    async fn check_service(
        &self,
        project: &str,
        service: &str,
        check: Check,
        started: bool,
    ) -> Result<()> {
        let (_, never) = crate::cancel::pair();
        let cancel = match check {
            Check::Release => self.cancel,
            Check::Rollback => &never,
        };
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
            let checked = async {
                // `pull_policy: build`, or a reference compose resolves elsewhere,
                // would have it run another image.
                if check == Check::Release {
                    self.runs_the_image(&container.id, &container.name).await?;
                }
                if !started {
                    return Ok(());
                }
                restart_check::check(self.engine, &container.id, &container.name, patience).await?;
                self.gate.probes(self.engine, &container.id).await
            };
            cancel
                .unless_cancelled(&format!("checking {}", container.name), checked)
                .await?;
        }
        Ok(())
    }
}
