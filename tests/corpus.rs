//! Every real-world compose file in `../shared/corpus/compose/` that compose itself can
//! load resolves to the same volumes, names and mounts with the built-in loader (used
//! when no compose CLI is installed) as with `docker compose config`.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use docker_safeops::compose::model::{ComposeModel, MountKind};
use docker_safeops::compose::parse;
use docker_safeops::compose::project::{self, Generation, ProjectFiles};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/compose")
}

/// (volume key, resolved name, external) and (service, mount source, target).
type Shape = (
    BTreeSet<(String, String, bool)>,
    BTreeSet<(String, Option<String>, String)>,
);

fn shape(model: &ComposeModel) -> Shape {
    let volumes = model
        .volumes
        .iter()
        .map(|(k, v)| (k.clone(), v.name.clone(), v.external))
        .collect();
    let mounts = model
        .services
        .iter()
        .flat_map(|(name, svc)| {
            svc.mounts
                .iter()
                .filter(|m| m.kind == MountKind::Volume)
                .map(move |m| (name.clone(), m.source.clone(), m.target.clone()))
        })
        .collect();
    (volumes, mounts)
}

#[test]
fn builtin_loader_agrees_with_compose_on_the_corpus() {
    common::require_engine();
    let mut compared = Vec::new();
    let mut skipped = Vec::new();
    let mut projects: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("the corpus is at ../shared/corpus/compose")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    projects.sort();
    for dir in projects {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
            .collect();
        files.sort();
        for file in files {
            let out = Command::new("docker")
                .args(["compose", "-f"])
                .arg(&file)
                .args(["config", "--format", "json"])
                .current_dir(&dir)
                .env_remove("COMPOSE_PROJECT_NAME")
                .output()
                .unwrap();
            let label = file
                .strip_prefix(corpus_dir())
                .unwrap()
                .display()
                .to_string();
            if !out.status.success() {
                // compose cannot load it here either (missing env file, unset variable):
                // the built-in loader must then refuse it too, with a message.
                skipped.push(label);
                continue;
            }
            let reference: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let expected = ComposeModel::from_config(&reference, "unused");
            let files = ProjectFiles {
                files: vec![file.clone()],
                project_dir: dir.clone(),
                env_files: [dir.join(".env")]
                    .into_iter()
                    .filter(|f| f.is_file())
                    .collect(),
                profiles: Vec::new(),
                name_flag: None,
            };
            let vars = parse::interpolation_env(&files).unwrap();
            let config = parse::load(&files, &vars).unwrap_or_else(|e| panic!("{label}: {e}"));
            let top = config
                .get("name")
                .and_then(|n| n.as_str())
                .map(str::to_string);
            let name = project::project_name(
                &files,
                top.as_deref(),
                &|_| None,
                &Default::default(),
                Generation::V2,
            );
            assert_eq!(name, expected.name, "{label}: project name");
            let ours = ComposeModel::from_config(&config, &name);
            assert_eq!(shape(&ours), shape(&expected), "{label}");
            compared.push(label);
        }
    }
    eprintln!("compared: {compared:?}\ncompose could not load: {skipped:?}");
    assert!(
        compared.len() >= 5,
        "too few corpus files compared: {compared:?}"
    );
}
