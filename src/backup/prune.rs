//! `--keep`'s prune in a repository, with what it writes read back before what it
//! replaces is deleted.
//!
//! rustic's prune copies the blobs still used out of partly unused packs into new packs
//! and deletes the old ones: a new pack the storage damaged would take those blobs with
//! it for good. Here a first prune only marks the old packs for deletion, the packs it
//! wrote are read back, and only then a second prune deletes what is marked. When a new
//! pack does not read back sound the prune is undone: the index files it replaced are
//! written again and its own index files and packs removed, so the repository is as it
//! was (the old packs were only marked). Everything here blocks.

use std::collections::{BTreeSet, HashSet};

use rustic_core::repofile::{IndexFile, IndexId, IndexPack};
use rustic_core::{FileType, Id, LimitOption, PruneOptions, WriteBackend};
use sha2::Digest;

use crate::error::{Error, Result};
use crate::storage::backend::Storage;
use crate::storage::crypto;
use crate::storage::location::Repository;
use crate::storage::readback;
use crate::storage::repository::{Open, repository_error};

/// What reads packs back: the packs' problems (empty: sound) and the bytes read.
pub type ReadBack<'a> = dyn Fn(&[IndexPack]) -> Result<(Vec<String>, u64)> + 'a;

/// Prunes `repo` at `location` (whose exclusive lock the caller holds), reading back
/// with `read_back` what the prune wrote before what it replaces is deleted: the bytes
/// read back. A pack that does not read back sound undoes the prune (an integrity
/// error).
pub fn prune(location: &Repository, repo: &Open, read_back: &ReadBack<'_>) -> Result<u64> {
    let before = index_files(repo, location, &readback::index_ids(repo, location)?)?;
    let old_packs: HashSet<_> = before
        .iter()
        .flat_map(|(_, index)| index.packs.iter().chain(&index.packs_to_delete))
        .map(|pack| pack.id)
        .collect();
    // restic's defaults: repack as much as it takes to leave at most 5% unused.
    let marking = PruneOptions::default().max_repack(LimitOption::Unlimited);
    run(location, repo, &marking)?;
    let before_ids: BTreeSet<IndexId> = before.iter().map(|(id, _)| *id).collect();
    let written_ids: BTreeSet<IndexId> = readback::index_ids(repo, location)?
        .difference(&before_ids)
        .copied()
        .collect();
    let written = index_files(repo, location, &written_ids)?;
    let new_packs: Vec<IndexPack> = written
        .iter()
        .flat_map(|(_, index)| &index.packs)
        .filter(|pack| !old_packs.contains(&pack.id))
        .cloned()
        .collect();
    let problems = match read_back(&new_packs) {
        Ok((problems, bytes)) if problems.is_empty() => {
            let deleting = PruneOptions::default()
                .instant_delete(true)
                .max_repack(LimitOption::Percentage(0));
            run(location, repo, &deleting)?;
            return Ok(bytes);
        }
        Ok((problems, _)) => problems,
        Err(err) => vec![err.message],
    };
    let mut err = Error::integrity(format!(
        "the packs the prune wrote to {location} do not read back sound:\n  {}",
        problems.join("\n  ")
    ));
    match undo(location, repo, &before, &written_ids, &new_packs) {
        Ok(()) => err.message.push_str(
            "\nso the prune was undone: the packs it replaced stay, and the forgotten \
             snapshots' data stays until a prune succeeds",
        ),
        Err(undo_err) => err.message.push_str(&format!(
            "\nand undoing the prune failed ({}): the packs it replaced are still there, \
             marked for deletion; run `rustic repair index` and `restic check --read-data` \
             before any prune",
            undo_err.message
        )),
    }
    Err(err)
}

fn run(location: &Repository, repo: &Open, options: &PruneOptions) -> Result<()> {
    let plan = repo
        .prune_plan(options)
        .map_err(|e| repository_error(location, &e))?;
    repo.prune(options, plan)
        .map_err(|e| repository_error(location, &e))
}

fn index_files(
    repo: &Open,
    location: &Repository,
    ids: &BTreeSet<IndexId>,
) -> Result<Vec<(IndexId, IndexFile)>> {
    ids.iter()
        .map(|id| {
            repo.get_file::<IndexFile>(id)
                .map(|index| (*id, index))
                .map_err(|e| repository_error(location, &e))
        })
        .collect()
}

/// Puts the index as it was before the prune: the index files it replaced written again
/// (as restic writes them: sealed JSON named by its SHA-256), then its own index files
/// and its new packs removed.
fn undo(
    location: &Repository,
    repo: &Open,
    before: &[(IndexId, IndexFile)],
    written: &BTreeSet<IndexId>,
    new_packs: &[IndexPack],
) -> Result<()> {
    let storage = Storage::new(location)
        .map_err(|e| Error::usage(format!("cannot use the repository {location}: {e}")))?;
    let cipher = crypto::cipher(&repo.key());
    let failed = |e: Box<rustic_core::RusticError>| repository_error(location, &e);
    for (_, index) in before {
        let json = serde_json::to_vec(index).expect("an index serializes");
        let sealed = crypto::seal(&cipher, &json)?;
        let id: Id = hex::encode(sha2::Sha256::digest(&sealed))
            .parse()
            .expect("a SHA-256 is an id");
        storage
            .write_bytes(FileType::Index, &id, true, sealed.into())
            .map_err(failed)?;
    }
    for id in written {
        storage.remove(FileType::Index, id, true).map_err(failed)?;
    }
    for pack in new_packs {
        storage
            .remove(FileType::Pack, &pack.id, false)
            .map_err(failed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::backup::snapshot::{self, Request, Tree, TreeRoot};
    use crate::storage::repository::{Password, open, testing};

    /// The files under the repository's `data/`.
    fn packs(dir: &Path) -> BTreeSet<PathBuf> {
        let mut found = BTreeSet::new();
        for sub in std::fs::read_dir(dir.join("repo/data")).unwrap() {
            for pack in std::fs::read_dir(sub.unwrap().path()).unwrap() {
                found.insert(pack.unwrap().path());
            }
        }
        found
    }

    /// A published snapshot of `source`: its id.
    fn backup(location: &Repository, password: &Password, source: &Path) -> String {
        let (_trigger, cancel) = crate::cancel::pair();
        let request = Request {
            target: "t".into(),
            trees: vec![Tree {
                root: TreeRoot::Dir(source.to_path_buf()),
                at: PathBuf::new(),
            }],
        };
        let prepared =
            snapshot::prepare(open(location, password).unwrap(), location, "t", &[]).unwrap();
        let pending = snapshot::write(location, prepared, &request, &cancel).unwrap();
        let (pending, bytes) = snapshot::read_back(pending, &cancel).unwrap();
        snapshot::publish(pending, bytes).unwrap().id
    }

    /// A repository whose one data pack holds a blob only a forgotten snapshot used:
    /// a prune repacks the other one. Returns the location, the password and the id of
    /// the snapshot kept.
    fn partly_unused(dir: &Path) -> (Repository, Password, String) {
        let (location, password) = testing::local(dir);
        let source = dir.join("source");
        std::fs::create_dir(&source).unwrap();
        let random = |n| (0..n).map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 7) as u8);
        std::fs::write(source.join("kept"), random(300_000).collect::<Vec<_>>()).unwrap();
        std::fs::write(
            source.join("dropped"),
            random(600_000).rev().collect::<Vec<_>>(),
        )
        .unwrap();
        let old = backup(&location, &password, &source);
        std::fs::remove_file(source.join("dropped")).unwrap();
        let kept = backup(&location, &password, &source);
        let repo = open(&location, &password).unwrap();
        repo.delete_snapshots(&[old.parse().unwrap()]).unwrap();
        (location, password, kept)
    }

    /// The kept snapshot still gives the kept file, every blob checked on the way.
    fn sound(location: &Repository, password: &Password, id: &str, source: &Path) {
        let repo = open(location, password).unwrap().to_indexed().unwrap();
        let found = snapshot::find(&repo, location, id).unwrap();
        let kept = snapshot::read_file(&repo, &found, location, "kept", 1 << 20).unwrap();
        assert_eq!(kept, std::fs::read(source.join("kept")).unwrap());
    }

    /// Prunes with the real read-back.
    fn prune_reading_back(location: &Repository, password: &Password) -> Result<u64> {
        let repo = open(location, password).unwrap();
        let key = repo.key();
        let (_trigger, cancel) = crate::cancel::pair();
        prune(location, &repo, &|packs| {
            readback::check(location, &key, packs, &cancel)
        })
    }

    /// The storage calls block on a runtime's handle, as on `spawn_blocking`.
    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Runtime::new().unwrap()
    }

    #[test]
    fn the_packs_a_prune_writes_are_read_back_before_the_old_ones_go() {
        let (runtime, dir) = (runtime(), tempfile::tempdir().unwrap());
        let _entered = runtime.enter();
        let (location, password, kept) = partly_unused(dir.path());
        let before = packs(dir.path());
        let read = prune_reading_back(&location, &password).unwrap();
        assert!(read > 0, "the repacked pack was read back");
        let after = packs(dir.path());
        assert!(
            !before.is_subset(&after) && !after.is_subset(&before),
            "a pack replaced by a new one: {before:?} {after:?}"
        );
        sound(&location, &password, &kept, &dir.path().join("source"));
    }

    #[test]
    fn a_repacked_pack_that_does_not_read_back_undoes_the_prune() {
        let (runtime, dir) = (runtime(), tempfile::tempdir().unwrap());
        let _entered = runtime.enter();
        let (location, password, kept) = partly_unused(dir.path());
        let repo = open(&location, &password).unwrap();
        let before = packs(dir.path());
        let damaged: &ReadBack<'_> = &|_| Ok((vec!["pack 1234: damaged".into()], 0));
        let err = prune(&location, &repo, damaged).unwrap_err();
        assert_eq!(
            err.code,
            crate::error::ExitCode::Integrity,
            "{}",
            err.message
        );
        assert!(err.message.contains("undone"), "{}", err.message);
        assert_eq!(
            packs(dir.path()),
            before,
            "the old packs stay, the new ones go"
        );
        sound(&location, &password, &kept, &dir.path().join("source"));
        // And the repository prunes once the packs read back.
        prune_reading_back(&location, &password).unwrap();
        assert!(!before.is_subset(&packs(dir.path())), "pruned now");
        sound(&location, &password, &kept, &dir.path().join("source"));
    }
}
