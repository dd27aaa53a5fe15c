//! `release`: an image moves from one engine to another without a registry, and the
//! containers that should run it are switched over, checked, and rolled back when the
//! new image does not come up (seed 000 §1, §8; R-REL-1).
//!
//! [`layers`] knows which layers the target has and how to find them in an archive,
//! [`filter`] leaves those out of a streaming archive, [`transfer`] streams one image
//! from the source's export into the target's load, [`gate`] is what a released
//! container must pass, and [`switch`] swaps containers over (run mode through the
//! recreate steps, compose mode through compose) with the rollback.

pub mod filter;
pub mod gate;
pub mod layers;
pub mod switch;
pub mod transfer;

use serde::Serialize;

/// How a container came out of a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// It runs the released image and passed its checks.
    Released,
    /// The released image failed its checks; the container runs its previous image.
    RolledBack,
    /// It already ran the released image.
    Unchanged,
    /// The released image failed its checks and was kept (`--no-rollback`), or the
    /// rollback itself failed.
    Failed,
    /// `--dry-run`: it would be switched over.
    Planned,
}

impl Outcome {
    /// Whether the release of this container went wrong.
    pub fn is_failure(self) -> bool {
        matches!(self, Outcome::RolledBack | Outcome::Failed)
    }
}

/// One container of a release.
#[derive(Debug, Clone, Serialize)]
pub struct ContainerReport {
    /// The container's name.
    pub name: String,
    /// The image id it ran before.
    pub from_image: String,
    /// The image id it runs now (or would run).
    pub to_image: String,
    /// What happened.
    pub outcome: Outcome,
    /// Why it failed, with the container's last log lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Splits `repo[:tag]` for tagging (`latest` when no tag); `None` for a digest
/// reference or an image id, which cannot be tagged.
pub fn tag_parts(reference: &str) -> Option<(String, String)> {
    if reference.contains('@') || is_image_id(reference) {
        return None;
    }
    Some(match reference.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo.to_string(), tag.to_string()),
        _ => (reference.to_string(), "latest".to_string()),
    })
}

/// Whether `reference` is an image id (`sha256:<hex>` or a bare hex prefix) rather than
/// a name.
pub fn is_image_id(reference: &str) -> bool {
    let hex = reference.strip_prefix("sha256:").unwrap_or(reference);
    hex.len() >= 12
        && hex.len() <= 64
        && hex.chars().all(|c| c.is_ascii_hexdigit())
        && hex.chars().all(|c| !c.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_like_docker_tag() {
        let parts = |r: &str| tag_parts(r).map(|(a, b)| format!("{a}|{b}"));
        assert_eq!(parts("app:2").as_deref(), Some("app|2"));
        assert_eq!(parts("app").as_deref(), Some("app|latest"));
        assert_eq!(
            parts("registry:5000/team/app").as_deref(),
            Some("registry:5000/team/app|latest")
        );
        assert_eq!(
            parts("registry:5000/app:1.2").as_deref(),
            Some("registry:5000/app|1.2")
        );
        assert_eq!(parts("app@sha256:abc"), None);
        assert_eq!(parts(&format!("sha256:{}", "a".repeat(64))), None);
        assert_eq!(parts("0123456789ab"), None);
    }
}
