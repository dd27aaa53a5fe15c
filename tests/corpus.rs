//! Every real-world compose file in `tests/corpus/compose/` (vendored; sources and
//! licences in its `SOURCES.tsv`) that compose itself can load resolves to the same
//! volumes, names and mounts with the built-in loader (used when no compose CLI is
//! installed) as with `docker compose config`.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use docker_safeops::compose::model::{ComposeModel, MountKind};
use docker_safeops::compose::parse;
use docker_safeops::compose::project::{self, Generation, ProjectFiles};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/compose")
}

/// Every compose file of the corpus as (its project directory, its file name), sorted.
fn corpus_files() -> Vec<(PathBuf, String)> {
    let mut projects: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("the corpus is at tests/corpus/compose")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    projects.sort();
    let mut found = Vec::new();
    for dir in projects {
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|f| f.ends_with(".yml") || f.ends_with(".yaml"))
            .collect();
        files.sort();
        found.extend(files.into_iter().map(|f| (dir.clone(), f)));
    }
    found
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
    for (dir, name) in corpus_files() {
        let file = dir.join(&name);
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
    docker_safeops::say!("compared: {compared:?}\ncompose could not load: {skipped:?}");
    assert!(
        compared.len() >= 5,
        "too few corpus files compared: {compared:?}"
    );
}

/// `down -v --dry-run --format json` removes exactly what real `docker compose down -v`
/// removes, on every corpus project compose can create here (the fixture image tagged
/// as each of its images, its external volumes created, `up --no-start`).
#[test]
fn down_v_plan_equals_real_compose_on_the_corpus() {
    common::require_engine();
    let mut compared = Vec::new();
    for (source, file) in corpus_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p");
        common::fixture::copy_dir(&source, &dir);
        let name = common::unique("corpus");
        let mut cleanup = common::Cleanup::new();
        cleanup.projects.push(name.clone());
        let compose = |args: &[&str]| {
            Command::new("docker")
                .args(["compose", "-p", &name, "-f", &file])
                .args(args)
                .current_dir(&dir)
                .env_remove("COMPOSE_PROJECT_NAME")
                .output()
                .unwrap()
        };
        let config = compose(&["config", "--format", "json"]);
        if !config.status.success() {
            continue;
        }
        let config: serde_json::Value = serde_json::from_slice(&config.stdout).unwrap();
        let images = String::from_utf8(compose(&["config", "--images"]).stdout).unwrap();
        if images.contains('@') {
            continue; // pinned by digest: cannot be faked by a local tag
        }
        let mut tags = Vec::new();
        let mut creatable = true;
        for image in images.lines().filter(|l| !l.is_empty()) {
            if Command::new("docker")
                .args(["image", "inspect", image])
                .output()
                .unwrap()
                .status
                .success()
            {
                continue;
            }
            let tagged = Command::new("docker")
                .args(["tag", common::IMAGE, image])
                .output()
                .unwrap();
            if !tagged.status.success() {
                creatable = false; // an image name that is not a valid reference here
                break;
            }
            tags.push(image.to_string());
        }
        if !creatable {
            for tag in tags {
                let _ = Command::new("docker").args(["rmi", &tag]).output();
            }
            continue;
        }
        for volume in config["volumes"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, v)| v)
        {
            if volume["external"] == true {
                let external = volume["name"].as_str().unwrap().to_string();
                common::docker(&["volume", "create", &external]);
                cleanup.volumes.push(external);
            }
        }
        let up = compose(&["up", "--no-start"]);
        assert!(
            up.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&up.stderr)
        );
        let mut cmd = common::safeops(&dir);
        cmd.env("XDG_STATE_HOME", tmp.path().join("state")).args([
            "-p",
            &name,
            "-f",
            &file,
            "down",
            "-v",
            "--dry-run",
            "--format",
            "json",
        ]);
        let plan = common::json(&mut cmd);
        let planned: BTreeSet<String> = plan["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["action"] == "remove")
            .map(|v| v["name"].as_str().unwrap().to_string())
            .collect();
        let listed: BTreeSet<String> = plan["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap().to_string())
            .collect();
        let before = volumes();
        let down = compose(&["down", "-v", "-t", "0"]);
        assert!(
            down.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&down.stderr)
        );
        let removed: BTreeSet<String> = before
            .difference(&volumes())
            .filter(|v| listed.contains(*v) || v.starts_with(&format!("{name}_")))
            .cloned()
            .collect();
        for tag in tags {
            let _ = Command::new("docker").args(["rmi", &tag]).output();
        }
        let label = format!("{}/{file}", source.file_name().unwrap().to_string_lossy());
        assert_eq!(
            planned, removed,
            "{label}: plan vs real compose down -v: {plan}"
        );
        compared.push(label);
    }
    docker_safeops::say!("compared: {compared:?}");
    assert!(
        compared.len() >= 5,
        "too few corpus projects created: {compared:?}"
    );
}

fn volumes() -> BTreeSet<String> {
    common::docker(&["volume", "ls", "-q"])
        .lines()
        .map(str::to_string)
        .collect()
}
