//! Property tests (bounded: proptest's default 256 cases each) of the parsers that read
//! hostile input: the archive reader and the compose loader. They must never panic,
//! never accept an entry that leads out of its tree, and always end.

mod common;

use std::collections::BTreeMap;

use docker_safeops::backup::archive::{Content, Naming, list_entries, read_entries};
use docker_safeops::compose::interpolate::interpolate_str;
use docker_safeops::compose::parse;
use docker_safeops::compose::project::ProjectFiles;
use proptest::prelude::*;

use common::raw_tar_entry;

/// Path components an attacker would try, and plain ones.
fn component() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["a", "b", "..", ".", "", "c.d", "/"])
}

fn entry() -> impl Strategy<Value = (String, u8, String)> {
    (
        prop::collection::vec(component(), 1..4).prop_map(|c| c.join("/")),
        0u8..4,
        prop::collection::vec(component(), 0..3).prop_map(|c| c.join("/")),
    )
}

proptest! {
    #[test]
    fn the_archive_reader_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..3000)) {
        let _ = list_entries(&bytes[..], Naming::Volume, "v", Content::Hash);
        if let Ok(decoder) = zstd::stream::read::Decoder::new(&bytes[..]) {
            let _ = list_entries(decoder, Naming::Volume, "v", Content::Hash);
        }
    }

    #[test]
    fn accepted_entries_never_lead_out_of_the_tree(entries in prop::collection::vec(entry(), 1..8)) {
        let mut tar = Vec::new();
        for (name, kind, link) in &entries {
            let kind = match kind {
                0 => tar::EntryType::Regular,
                1 => tar::EntryType::Directory,
                2 => tar::EntryType::Symlink,
                _ => tar::EntryType::Link,
            };
            let data: &[u8] = if kind == tar::EntryType::Regular { b"x" } else { b"" };
            raw_tar_entry(&mut tar, name.as_bytes(), kind, link.as_bytes(), data);
        }
        tar.extend_from_slice(&[0u8; 1024]);
        let mut symlinks: Vec<Vec<u8>> = Vec::new();
        let _ = read_entries(&tar[..], Naming::Volume, |entry| {
            let path = entry.record.path.0.clone();
            assert!(!path.starts_with(b"/"), "absolute path accepted: {path:?}");
            assert!(!path.split(|b| *b == b'/').any(|c| c == b".."), "`..` accepted: {path:?}");
            for link in &symlinks {
                let mut prefix = link.clone();
                prefix.push(b'/');
                assert!(!path.starts_with(&prefix), "entry through a symlink accepted: {path:?}");
            }
            if entry.record.kind == docker_safeops::backup::entry::Kind::Symlink {
                symlinks.push(path);
            }
            let mut sink = Vec::new();
            entry.content.read_to_end(&mut sink).map_err(docker_safeops::backup::archive::ArchiveError::Unreadable)?;
            Ok(())
        });
    }

    #[test]
    fn interpolation_never_panics(input in "[$A{}:?+_-]{0,300}") {
        let vars: BTreeMap<String, String> = [("A".to_string(), "1".to_string())].into();
        let _ = interpolate_str(&input, &vars);
    }

    #[test]
    fn the_loader_never_panics_on_generated_files(
        body in prop::collection::vec(prop::sample::select(vec![
            "services:\n", "  a:\n", "    image: x\n", "    extends: a\n", "include:\n",
            "  - compose.yaml\n", "  - other.yaml\n", "    volumes: [\"d:/d\"]\n", "volumes:\n",
            "  d: {}\n", "x: ${A:-${B}}\n", "<<: *anchor\n", "&anchor y: 1\n", "  b: [\n",
            "    extends: {file: other.yaml, service: a}\n", "profiles: [p]\n",
        ]), 0..12)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("compose.yaml");
        std::fs::write(&file, body.concat()).unwrap();
        std::fs::write(dir.path().join("other.yaml"), body.concat()).unwrap();
        let project = ProjectFiles {
            files: vec![file],
            project_dir: dir.path().to_path_buf(),
            env_files: Vec::new(),
            profiles: Vec::new(),
            name_flag: None,
        };
        let _ = parse::load(&project, &BTreeMap::new());
    }
}
