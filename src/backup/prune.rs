//! `--keep`'s prune in a repository, with what it writes read back before what it
//! replaces is deleted.
//!
//! rustic's prune copies the blobs still used out of partly unused packs into new packs
//! and deletes the old ones: a new pack the storage damaged would take those blobs with
//! it for good. Here a first prune only marks the old packs for deletion, the packs and
//! index files it wrote are read back from the storage, and only then a second prune
//! deletes what is marked. When a new
//! pack does not read back sound the prune is undone: the index files it replaced are
//! written again and its own index files and packs removed, so the repository is as it
//! was (the old packs were only marked). Everything here blocks.

use std::collections::{BTreeSet, HashSet};

use rustic_core::repofile::{IndexFile, IndexId, IndexPack};
use rustic_core::{FileType, LimitOption, PruneOptions, WriteBackend};

use crate::error::{Error, Result};
use crate::storage::backend::Storage;
use crate::storage::index;
use crate::storage::location::Repository;
use crate::storage::readback::{self, Damage};
use crate::storage::repository::{Open, repository_error};

/// What reads packs back: the packs' problems (empty: sound) and the bytes read.
pub type ReadBack<'a> = dyn Fn(&[IndexPack]) -> Result<(Vec<Damage>, u64)> + 'a;

/// Prunes `repo` at `location` (whose exclusive lock the caller holds), reading back
/// with `read_back` what the prune wrote before what it replaces is deleted: the bytes
/// read back. A pack that does not read back sound undoes the prune (an integrity
/// error), and so does a read-back that fails or is cancelled (with its own error).
pub fn prune(location: &Repository, repo: &Open, read_back: &ReadBack<'_>) -> Result<u64> {
    let before = readback::index_files(repo, location, &readback::index_ids(repo, location)?)?;
    let unfinished = written_since_marked(&before);
    if !unfinished.is_empty() {
        let (problems, _) = read_back(&unfinished)?;
        if !problems.is_empty() {
            return Err(Error::integrity(format!(
                "packs written to {location} since packs were marked for deletion (by a \
                 prune that did not finish, say) do not read back sound, so nothing was \
                 pruned:\n  {}",
                readback::listed(&problems)
            ))
            .hint(
                "the packs marked for deletion still hold what the damaged ones held: \
                 remove the damaged packs, run `rustic repair index`, and the next prune \
                 recovers the marked packs still needed",
            ));
        }
    }
    let old_packs: HashSet<_> = before
        .iter()
        .flat_map(|(_, index)| index.packs.iter().chain(&index.packs_to_delete))
        .map(|pack| pack.id)
        .collect();
    // restic's defaults: repack as much as it takes to leave at most 5% unused.
    let marking = PruneOptions::default().max_repack(LimitOption::Unlimited);
    run(location, repo, &marking)?;
    let after = readback::index_ids(repo, location)?;
    let written_ids: BTreeSet<IndexId> = after
        .iter()
        .filter(|id| !before.iter().any(|(old, _)| old == *id))
        .copied()
        .collect();
    let written = readback::index_files(repo, location, &written_ids)?;
    let new_packs: Vec<IndexPack> = written
        .iter()
        .flat_map(|(_, index)| &index.packs)
        .filter(|pack| !old_packs.contains(&pack.id))
        .cloned()
        .collect();
    let index_ids = written_ids.iter().map(|id| **id);
    let stored = readback::stored_as_named(location, FileType::Index, index_ids);
    let failure = match stored.and_then(|()| read_back(&new_packs)) {
        Ok((problems, bytes)) if problems.is_empty() => {
            // Deletes what is marked, ours and any other rustic client's: it is not
            // running, since we hold the exclusive lock.
            let deleting = PruneOptions::default()
                .instant_delete(true)
                .max_repack(LimitOption::Percentage(0));
            run(location, repo, &deleting)?;
            return Ok(bytes);
        }
        Ok((problems, _)) => Error::integrity(format!(
            "the packs the prune wrote to {location} do not read back sound:\n  {}",
            readback::listed(&problems)
        )),
        Err(err) => err,
    };
    let replaced: Vec<&IndexFile> = before
        .iter()
        .filter(|(id, _)| !after.contains(id))
        .map(|(_, index)| index)
        .collect();
    Err(undone(
        failure,
        undo(location, repo, &replaced, &written_ids, &new_packs),
    ))
}

/// The indexed packs written since the oldest mark for deletion in `index`. A prune
/// that did not finish (killed between its two phases, or whose undo failed) leaves the
/// packs it wrote indexed and those they replace marked: they are read back before
/// anything more is pruned. Every pack when a mark has no time.
fn written_since_marked(index: &[(IndexId, IndexFile)]) -> Vec<IndexPack> {
    let Some(oldest) = index
        .iter()
        .flat_map(|(_, file)| &file.packs_to_delete)
        .map(|pack| pack.time)
        .min()
    else {
        return Vec::new();
    };
    index
        .iter()
        .flat_map(|(_, file)| &file.packs)
        .filter(|pack| match (oldest, pack.time) {
            (Some(oldest), Some(written)) => written >= oldest,
            _ => true,
        })
        .cloned()
        .collect()
}

/// `failure` with what became of the undoing of the prune.
fn undone(mut failure: Error, undo: Result<()>) -> Error {
    match undo {
        Ok(()) => failure.message.push_str(
            "\n(the prune was undone: the packs it would have deleted stay, and so does \
             the forgotten snapshots' data until a prune succeeds)",
        ),
        Err(err) => failure.message.push_str(&format!(
            "\n(undoing the prune failed: {}; the next prune reads back what this one \
             wrote before it deletes anything)",
            err.message
        )),
    }
    failure
}

fn run(location: &Repository, repo: &Open, options: &PruneOptions) -> Result<()> {
    let plan = repo
        .prune_plan(options)
        .map_err(|e| repository_error(location, &e))?;
    repo.prune(options, plan)
        .map_err(|e| repository_error(location, &e))
}

/// Puts the index as it was before the prune: the index files it `replaced` written
/// again (as restic writes them: sealed JSON named by its SHA-256), then the index
/// files it wrote removed, then its new packs. Stopped at any step, the repository
/// stays readable: every blob is indexed in a pack that exists (at worst twice, until
/// the new index files go), and what is left over is unindexed packs a prune removes.
fn undo(
    location: &Repository,
    repo: &Open,
    replaced: &[&IndexFile],
    written: &BTreeSet<IndexId>,
    new_packs: &[IndexPack],
) -> Result<()> {
    let (storage, key) = (Storage::new(location)?, repo.key());
    for replaced in replaced {
        index::write(&storage, location, &key, replaced)?;
    }
    for id in written {
        index::remove(&storage, location, id)?;
    }
    for pack in new_packs {
        storage
            .remove(FileType::Pack, &pack.id, false)
            .map_err(|e| repository_error(location, &e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::backup::snapshot::{self, testing::published as backup};
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

    /// The fixture of a test: its directory, and the repository of [`partly_unused`].
    struct Fixture {
        dir: tempfile::TempDir,
        location: Repository,
        password: Password,
        kept: String,
    }

    impl Fixture {
        fn open(&self) -> Open {
            open(&self.location, &self.password).unwrap()
        }

        fn packs(&self) -> BTreeSet<PathBuf> {
            packs(self.dir.path())
        }

        /// Prunes with the real read-back.
        fn prune_reading_back(&self) -> Result<u64> {
            let repo = self.open();
            let key = repo.key();
            let (_trigger, cancel) = crate::cancel::pair();
            prune(&self.location, &repo, &|packs| {
                readback::check(&self.location, &key, packs, &cancel)
            })
        }

        /// Checks that the kept snapshot still gives the kept file, every blob checked
        /// on the way.
        fn sound(&self) {
            let repo = self.open().to_indexed().unwrap();
            let found = snapshot::find(&repo, &self.location, &self.kept).unwrap();
            let kept = snapshot::read_file(&repo, &found, &self.location, "kept", 1 << 20);
            let source = self.dir.path().join("source");
            assert_eq!(kept.unwrap(), std::fs::read(source.join("kept")).unwrap());
        }
    }

    /// Runs `test` on a new [`Fixture`], inside a runtime: the storage calls block on
    /// its handle, as on `spawn_blocking`.
    fn with_fixture(test: impl FnOnce(Fixture)) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let _entered = runtime.enter();
        let dir = tempfile::tempdir().unwrap();
        let (location, password, kept) = partly_unused(dir.path());
        test(Fixture {
            dir,
            location,
            password,
            kept,
        });
    }

    #[test]
    fn the_packs_a_prune_writes_are_read_back_before_the_old_ones_go() {
        with_fixture(|f| {
            let before = f.packs();
            let read = f.prune_reading_back().unwrap();
            assert!(read > 0, "the repacked pack was read back");
            let after = f.packs();
            assert!(
                !before.is_subset(&after) && !after.is_subset(&before),
                "a pack replaced by a new one: {before:?} {after:?}"
            );
            f.sound();
        });
    }

    #[test]
    fn a_repacked_pack_that_does_not_read_back_undoes_the_prune() {
        with_fixture(|f| {
            let repo = f.open();
            let before = f.packs();
            let given = std::sync::Mutex::new(Vec::new());
            let damaged: &ReadBack<'_> = &|packs| {
                given
                    .lock()
                    .unwrap()
                    .extend(packs.iter().map(|p| p.id.to_hex().to_string()));
                let damage = Damage {
                    pack: packs[0].id,
                    what: "pack 1234: damaged".into(),
                };
                Ok((vec![damage], 0))
            };
            let err = prune(&f.location, &repo, damaged).unwrap_err();
            let given = given.into_inner().unwrap();
            assert!(!given.is_empty(), "the repacked packs are read back");
            assert!(
                given
                    .iter()
                    .all(|id| !before.iter().any(|p| p.ends_with(id))),
                "only new packs are read back: {given:?}"
            );
            assert_eq!(
                err.code,
                crate::error::ExitCode::Integrity,
                "{}",
                err.message
            );
            assert!(err.message.contains("undone"), "{}", err.message);
            assert_eq!(f.packs(), before, "the old packs stay, the new ones go");
            f.sound();
            // And the repository prunes once the packs read back.
            f.prune_reading_back().unwrap();
            assert!(!before.is_subset(&f.packs()), "pruned now");
            f.sound();
        });
    }

    #[test]
    fn what_a_prune_that_did_not_finish_wrote_is_read_back_before_the_next_one() {
        with_fixture(|f| {
            let before = f.packs();
            // Killed after its first phase: the old packs marked, the new one indexed; and
            // the storage damaged the new one.
            let marking = PruneOptions::default().max_repack(LimitOption::Unlimited);
            run(&f.location, &f.open(), &marking).unwrap();
            let written: Vec<_> = f.packs().difference(&before).cloned().collect();
            assert!(!written.is_empty(), "the first phase repacked");
            for pack in &written {
                let mut bytes = std::fs::read(pack).unwrap();
                bytes[0] ^= 1;
                std::fs::write(pack, bytes).unwrap();
            }
            let err = f.prune_reading_back().unwrap_err();
            assert_eq!(
                err.code,
                crate::error::ExitCode::Integrity,
                "{}",
                err.message
            );
            assert!(
                err.message.contains("nothing was pruned"),
                "{}",
                err.message
            );
            assert!(before.is_subset(&f.packs()), "the old packs stay");
            // What the damaged pack held is still in the old ones: with it removed and the
            // index repaired, a prune recovers them.
            for pack in &written {
                std::fs::remove_file(pack).unwrap();
            }
            let repo = f.open();
            repo.repair_index(&rustic_core::RepairIndexOptions::default(), false)
                .unwrap();
            f.prune_reading_back().unwrap();
            f.sound();
        });
    }
}
