//! Which layers of an image the target engine already has, and how to recognise them in
//! a `docker save` stream.
//!
//! An engine's classic image store finds a layer by its *chain id* (the digest of the
//! layer and every layer under it) before it opens the layer's file in a loaded
//! archive, so a layer file whose chain the target has can be left out of the stream
//! (`docs/release-research.md`). The legacy archive (Docker before 25) names a layer's
//! directory by a v1 id that hides the chain id; [`v1_dir_chain`] recovers it from the
//! `<dir>/json` entry, which the stream carries just before the layer file.

use std::collections::{BTreeMap, HashSet};

use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

/// `sha256:<hex>` of `bytes`.
fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// The chain ids of an image's layers, from its diff ids (`RootFS.Layers`): the first
/// is the first diff id, each next one `sha256(previous + " " + diff id)`.
pub fn chain_ids(diff_ids: &[String]) -> Vec<String> {
    let mut chains: Vec<String> = Vec::with_capacity(diff_ids.len());
    for diff in diff_ids {
        let chain = match chains.last() {
            None => diff.clone(),
            Some(parent) => digest(format!("{parent} {diff}").as_bytes()),
        };
        chains.push(chain);
    }
    chains
}

/// What of an image can stay out of the stream because the target has it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Skippable {
    /// Chain ids whose layer file is left out.
    pub chains: Vec<String>,
    /// Their diff ids (OCI archives name layer files by them).
    pub diff_ids: HashSet<String>,
    /// How many of the image's layers the target lacks.
    pub missing: usize,
}

/// The layers of an image (`diff_ids`) the target (`target_chains`) does not need.
///
/// A layer is skipped only when the target has its chain *and* no layer that is sent has
/// the same content: the archive stores a repeated diff id once and points the others
/// at it, so the file must travel when any layer still needs it.
pub fn skippable(diff_ids: &[String], target_chains: &HashSet<String>) -> Skippable {
    let chains = chain_ids(diff_ids);
    let needed: HashSet<&String> = chains
        .iter()
        .zip(diff_ids)
        .filter(|(chain, _)| !target_chains.contains(*chain))
        .map(|(_, diff)| diff)
        .collect();
    let mut skip = Skippable {
        missing: chains
            .iter()
            .filter(|c| !target_chains.contains(*c))
            .count(),
        ..Skippable::default()
    };
    for (chain, diff) in chains.iter().zip(diff_ids) {
        if target_chains.contains(chain) && !needed.contains(diff) {
            skip.chains.push(chain.clone());
            skip.diff_ids.insert(diff.clone());
        }
    }
    skip
}

/// Which of `candidates` (chain ids) the legacy layer directory whose `json` entry is
/// `dir_json` holds, or `None` when it is none of them.
///
/// The engine named the directory `sha256(json(V1Image minus id, with layer_id = chain
/// and parent = "sha256:" + parent dir))`, keys sorted, values as it wrote them; `os` was
/// hashed only for the image's top layer, so both variants are tried.
pub fn v1_dir_chain<'c>(dir_json: &[u8], candidates: &'c [String]) -> Option<&'c String> {
    let fields: BTreeMap<String, Box<RawValue>> = serde_json::from_slice(dir_json).ok()?;
    let id = serde_json::from_str::<String>(fields.get("id")?.get()).ok()?;
    let parent = match fields.get("parent") {
        Some(raw) => Some(serde_json::from_str::<String>(raw.get()).ok()?),
        None => None,
    };
    let variants = [true, false];
    for with_os in variants {
        if !with_os && !fields.contains_key("os") {
            continue;
        }
        for chain in candidates {
            let mut hashed: BTreeMap<&str, String> = fields
                .iter()
                .filter(|(key, _)| !matches!(key.as_str(), "id" | "parent"))
                .filter(|(key, _)| with_os || key.as_str() != "os")
                .map(|(key, raw)| (key.as_str(), raw.get().to_string()))
                .collect();
            hashed.insert("layer_id", json_string(chain));
            if let Some(parent) = parent.as_deref().filter(|p| !p.is_empty()) {
                hashed.insert("parent", json_string(&format!("sha256:{parent}")));
            }
            let mut text = String::from("{");
            for (n, (key, raw)) in hashed.iter().enumerate() {
                if n > 0 {
                    text.push(',');
                }
                text.push_str(&json_string(key));
                text.push(':');
                text.push_str(raw);
            }
            text.push('}');
            if digest(text.as_bytes()).strip_prefix("sha256:") == Some(id.as_str()) {
                return Some(chain);
            }
        }
    }
    None
}

fn json_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| format!("sha256:{s}")).collect()
    }

    #[test]
    fn chain_ids_follow_the_engine_rule() {
        // From `docker rmi` on the engine: the chain of busybox + one `RUN` layer.
        let diffs = ids(&["aa", "bb"]);
        let chains = chain_ids(&diffs);
        assert_eq!(chains[0], diffs[0]);
        assert_eq!(
            chains[1],
            digest(b"sha256:aa sha256:bb"),
            "chain[1] = sha256(chain[0] + \" \" + diff[1])"
        );
    }

    #[test]
    fn a_repeated_diff_id_travels_when_any_layer_needs_it() {
        // The target has [5f70, 48c1]; the image is [5f70, 48c1, 3bbb, 48c1, 78e0]: the
        // second 48c1 points at the first one's file, which must therefore be sent.
        let image = ids(&["5f70", "48c1", "3bbb", "48c1", "78e0"]);
        let target: HashSet<String> = chain_ids(&image[..2]).into_iter().collect();
        let skip = skippable(&image, &target);
        assert_eq!(skip.chains, vec![chain_ids(&image)[0].clone()]);
        assert_eq!(skip.missing, 3);
        assert!(!skip.diff_ids.contains(&image[1]));
    }

    #[test]
    fn nothing_is_skipped_for_a_target_without_the_base() {
        let image = ids(&["aa", "bb"]);
        let skip = skippable(&image, &HashSet::new());
        assert!(skip.chains.is_empty());
        assert_eq!(skip.missing, 2);
    }

    /// Builds a layer directory's json the way the engine does, for a chain.
    fn dir_json(chain: &str, parent: Option<&str>, top: bool) -> Vec<u8> {
        let mut fields: BTreeMap<&str, String> = BTreeMap::new();
        fields.insert("created", "\"1970-01-01T00:00:00Z\"".into());
        fields.insert(
            "container_config",
            "{\"Cmd\":null,\"Hostname\":\"\"}".into(),
        );
        if top {
            fields.insert("os", "\"linux\"".into());
        }
        fields.insert("layer_id", json_string(chain));
        if let Some(parent) = parent {
            fields.insert("parent", json_string(&format!("sha256:{parent}")));
        }
        let hashed = format!(
            "{{{}}}",
            fields
                .iter()
                .map(|(k, v)| format!("{}:{v}", json_string(k)))
                .collect::<Vec<_>>()
                .join(",")
        );
        let id = digest(hashed.as_bytes())[7..].to_string();
        let mut written = serde_json::Map::new();
        written.insert("id".into(), id.into());
        if let Some(parent) = parent {
            written.insert("parent".into(), parent.into());
        }
        written.insert("created".into(), "1970-01-01T00:00:00Z".into());
        written.insert(
            "container_config".into(),
            serde_json::json!({"Hostname": "", "Cmd": null}),
        );
        written.insert("os".into(), "linux".into());
        serde_json::to_vec(&written).unwrap()
    }

    #[test]
    fn a_layer_directory_is_recognised_by_its_chain() {
        let chains = ids(&["c0", "c1", "c2"]);
        let lower = dir_json(&chains[1], Some("ab12"), false);
        assert_eq!(v1_dir_chain(&lower, &chains), Some(&chains[1]));
        let top = dir_json(&chains[2], Some("cd34"), true);
        assert_eq!(v1_dir_chain(&top, &chains), Some(&chains[2]));
        let first = dir_json(&chains[0], None, false);
        assert_eq!(v1_dir_chain(&first, &chains), Some(&chains[0]));
        assert_eq!(v1_dir_chain(&lower, &chains[..1]), None);
        assert_eq!(v1_dir_chain(b"not json", &chains), None);
    }
}
