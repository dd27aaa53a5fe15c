//! Image retention: which images `images prune` may remove. Kept: every image a
//! container uses (running or not), the newest N tags of every repository, and every
//! image that is a rollback point in a saved spec. Seed 000: a clean-up that deleted
//! every old image left nothing to roll back to.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

/// An image as the engine lists it.
#[derive(Debug, Clone)]
pub struct Image {
    /// Image id (`sha256:...`).
    pub id: String,
    /// `repo:tag` references.
    pub tags: Vec<String>,
    /// Creation time, seconds since the epoch.
    pub created: i64,
    /// Size in bytes.
    pub size: i64,
}

/// One entry of the plan: a tag (or an untagged image) and what happens to it.
#[derive(Debug, Clone, Serialize)]
pub struct ImageDecision {
    /// The tag, or the id of an untagged image.
    pub reference: String,
    /// Image id.
    pub id: String,
    /// `remove` or `keep`.
    pub action: &'static str,
    /// Why.
    pub reason: String,
    /// Size of the image.
    pub size_bytes: i64,
}

fn repository(tag: &str) -> &str {
    match tag.rfind(':') {
        Some(i) if !tag[i..].contains('/') => &tag[..i],
        _ => tag,
    }
}

/// Decides every tag and untagged image. `in_use` and `rollback_points` are image ids.
pub fn plan(
    images: &[Image],
    in_use: &BTreeSet<String>,
    rollback_points: &BTreeSet<String>,
    keep: usize,
) -> Vec<ImageDecision> {
    let mut newest: BTreeMap<&str, Vec<(&Image, &str)>> = BTreeMap::new();
    for image in images {
        for tag in image.tags.iter().filter(|t| *t != "<none>:<none>") {
            newest
                .entry(repository(tag))
                .or_default()
                .push((image, tag.as_str()));
        }
    }
    let mut kept_tags = BTreeSet::new();
    for tags in newest.values_mut() {
        tags.sort_by(|a, b| b.0.created.cmp(&a.0.created).then(a.1.cmp(b.1)));
        for (_, tag) in tags.iter().take(keep) {
            kept_tags.insert(tag.to_string());
        }
    }
    let mut decisions = Vec::new();
    for image in images {
        let tags: Vec<&String> = image
            .tags
            .iter()
            .filter(|t| *t != "<none>:<none>")
            .collect();
        let references: Vec<String> = if tags.is_empty() {
            vec![image.id.clone()]
        } else {
            tags.iter().map(|t| t.to_string()).collect()
        };
        for reference in references {
            let reason = if in_use.contains(&image.id) {
                Some("used by a container")
            } else if rollback_points.contains(&image.id) {
                Some("rollback point of a saved container spec")
            } else if kept_tags.contains(&reference) {
                Some("among the newest tags of its repository")
            } else {
                None
            };
            decisions.push(ImageDecision {
                action: if reason.is_some() { "keep" } else { "remove" },
                reason: reason.unwrap_or("unused").to_string(),
                id: image.id.clone(),
                size_bytes: image.size,
                reference,
            });
        }
    }
    decisions.sort_by(|a, b| a.reference.cmp(&b.reference));
    decisions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(id: &str, tags: &[&str], created: i64) -> Image {
        Image {
            id: id.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            created,
            size: 1,
        }
    }

    #[test]
    fn keeps_used_rollback_points_and_newest_tags() {
        let images = [
            image("a", &["app:1"], 1),
            image("b", &["app:2"], 2),
            image("c", &["app:3"], 3),
            image("d", &["app:4"], 4),
            image("e", &["localhost:5000/app:9"], 5),
            image("f", &[], 0),
        ];
        let decisions = plan(
            &images,
            &BTreeSet::from(["a".into()]),
            &BTreeSet::from(["b".into()]),
            1,
        );
        let removed: Vec<&str> = decisions
            .iter()
            .filter(|d| d.action == "remove")
            .map(|d| d.reference.as_str())
            .collect();
        assert_eq!(removed, ["app:3", "f"]);
        assert_eq!(repository("localhost:5000/app:9"), "localhost:5000/app");
        assert_eq!(repository("localhost:5000/app"), "localhost:5000/app");
    }
}
