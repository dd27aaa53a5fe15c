//! The source tree's layers (README "Architecture"): a module may import its own layer
//! and the layers below it, never one above. Checked over every `crate::` path in
//! `src/` (test modules excepted), so a new import that breaks the layering fails here.

use std::path::{Path, PathBuf};

/// Layers from the bottom up; the cross-cutting modules are at the bottom.
const LAYERS: &[&[&str]] = &[
    &["error", "cancel", "state", "ui", "redact"],
    &["engine"],
    &["storage"],
    &["compose"],
    &["target"],
    &["guard"],
    &["runmode"],
    &["backup"],
    &["schedule"],
    &["doctor"],
    &["drill"],
    &["export"],
    &["release"],
    &["cli"],
    &["commands"],
];

fn rank(top: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&top))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_imports_a_layer_above_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    for file in files {
        let rel = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let top = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        let Some(own) = rank(&top) else {
            assert!(
                matches!(top.as_str(), "main" | "lib"),
                "{rel} is in no layer: add it to LAYERS and README"
            );
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        for (at, _) in code.match_indices("crate::") {
            let name: String = code[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if rank(&name).is_some_and(|imported| imported > own) {
                violations.push(format!("{rel} ({top}) imports crate::{name}"));
            }
        }
    }
    violations.dedup();
    assert!(
        violations.is_empty(),
        "imports from a higher layer:\n{}",
        violations.join("\n")
    );
}
