//! Concurrency, interruption and conventions against the real engine: locks between
//! operations on one volume, concurrent engine-API backups, Ctrl-C at awkward moments.

mod common;

use std::path::PathBuf;
use std::process::Stdio;

use common::fixture::*;
use common::*;

/// Complete backups in the fixture's backup directory, and leftovers (hidden entries).
fn backups_and_leftovers(f: &Fixture) -> (Vec<String>, Vec<String>) {
    let names: Vec<String> = std::fs::read_dir(f.backups())
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.into_iter().partition(|n| !n.starts_with('.'))
}

#[test]
fn a_second_operation_on_a_volume_is_told_who_holds_it_or_waits() {
    let f = Fixture::new("locked");
    f.exec(MANY_FILES);
    let first = backup_in_flight(&f, &[]);
    // At once: refused with the holder named, nothing stopped or written by it.
    let (code, _, stderr) = run(f.safeops().args(["backup", &f.container, "-t", "1"]));
    assert_eq!(code, 5, "{stderr}");
    assert!(
        stderr.contains("is busy") && stderr.contains("(backup)"),
        "{stderr}"
    );
    assert!(stderr.contains("--wait-lock"), "{stderr}");
    // Waiting: it runs once the first is done.
    let (code, _, stderr) =
        run(f
            .safeops()
            .args(["backup", &f.container, "-t", "1", "--wait-lock", "120"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("waiting up to 120s"), "{stderr}");
    let out = first.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (complete, leftovers) = backups_and_leftovers(&f);
    assert_eq!(complete.len(), 2, "{complete:?}");
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(f.state(), "running");
}

#[test]
fn backups_of_one_target_started_together_all_complete_under_distinct_names() {
    let f = Fixture::new("sametime");
    f.exec("echo data > /data/file");
    let children: Vec<_> = (0..3)
        .map(|_| {
            f.safeops()
                .args(["backup", &f.container, "-t", "1", "--wait-lock", "120"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (complete, leftovers) = backups_and_leftovers(&f);
    assert_eq!(complete.len(), 3, "{complete:?}");
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn nine_concurrent_engine_api_backups_all_succeed() {
    let fixtures: Vec<Fixture> = (0..9).map(|_| Fixture::new("apiconc")).collect();
    for f in &fixtures {
        f.exec("echo data > /data/file");
    }
    let children: Vec<(PathBuf, std::process::Child)> = fixtures
        .iter()
        .map(|f| {
            let child = f
                .safeops()
                .env("SAFEOPS_VOLUME_ACCESS", "api")
                .args(["backup", &f.container, "-t", "1"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (f.backups(), child)
        })
        .collect();
    for (dir, child) in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
