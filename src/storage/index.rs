//! Index files written and removed beside rustic_core, as restic writes them: the JSON
//! sealed under the repository's key, named by the SHA-256 of the sealed bytes. Used to
//! put back what a prune replaced, and to take packs found damaged out of the index.
//! Everything here blocks.

use std::collections::BTreeSet;

use rustic_core::repofile::{IndexFile, IndexId, MasterKey, PackId};
use rustic_core::{FileType, Id, WriteBackend};

use super::backend::Storage;
use super::crypto;
use super::location::Repository;
use super::readback;
use super::repository::repository_error;
use crate::error::Result;

/// Writes `index` into `storage`, the repository at `location`, as a new index file.
pub fn write(
    storage: &Storage,
    location: &Repository,
    key: &MasterKey,
    index: &IndexFile,
) -> Result<()> {
    let json = serde_json::to_vec(index).expect("an index serializes");
    let (name, sealed) = crypto::seal_named(&crypto::cipher(key), &json)?;
    let id: Id = name.parse().expect("a SHA-256 is an id");
    storage
        .write_bytes(FileType::Index, &id, true, sealed.into())
        .map_err(|e| repository_error(location, &e))
}

/// Removes the index file `id` from `storage`, the repository at `location`.
pub fn remove(storage: &Storage, location: &Repository, id: &IndexId) -> Result<()> {
    storage
        .remove(FileType::Index, id, true)
        .map_err(|e| repository_error(location, &e))
}

/// Takes the packs `damaged` out of the index files of `repo` that are not in `before`,
/// the ones written since (by the backup that found the damage, and by any run beside
/// it, whose other packs keep their place): each such file naming one is written again
/// without them, then removed. The packs unindexed, a subset of `damaged`: one only
/// older index files name stays, since snapshots made before may hold blobs of it that
/// are sound.
///
/// An indexed blob is reused by every later backup, restic's and rustic's too, damage
/// and all; unindexed, it is written again by the next backup that has it. The pack
/// files stay, unindexed, until a prune deletes them: a run beside this one that
/// reused a sound blob of one fails its own read-back rather than losing it.
pub fn unindex<S: rustic_core::Open>(
    repo: &rustic_core::Repository<S>,
    location: &Repository,
    before: &BTreeSet<IndexId>,
    damaged: &BTreeSet<PackId>,
) -> Result<BTreeSet<PackId>> {
    let since: Vec<IndexId> = readback::index_ids(repo, location)?
        .difference(before)
        .copied()
        .collect();
    let (storage, key) = (Storage::new(location)?, repo.key());
    let mut unindexed = BTreeSet::new();
    for (id, mut index) in readback::index_files(repo, location, &since)? {
        let named = index.packs.len();
        index.packs.retain(|pack| {
            let keep = !damaged.contains(&pack.id);
            if !keep {
                unindexed.insert(pack.id);
            }
            keep
        });
        if index.packs.len() == named {
            continue;
        }
        // Written again first: stopped in between, the sound packs are indexed twice
        // (restic and rustic take either), never not at all.
        if !index.packs.is_empty() || !index.packs_to_delete.is_empty() {
            write(&storage, location, &key, &index)?;
        }
        remove(&storage, location, &id)?;
    }
    Ok(unindexed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::repository::{self, testing};

    /// The packs the index of the repository at `location` names.
    fn indexed(location: &Repository, password: &repository::Password) -> BTreeSet<PackId> {
        let repo = repository::open(location, password).unwrap();
        let ids = readback::index_ids(&repo, location).unwrap();
        readback::index_files(&repo, location, &ids)
            .unwrap()
            .into_iter()
            .flat_map(|(_, index)| index.packs)
            .map(|pack| pack.id)
            .collect()
    }

    #[test]
    fn a_damaged_pack_leaves_the_new_index_and_its_blobs_are_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let _guard = runtime.enter();
        let (location, password) = testing::local(dir.path());
        let source = dir.path().join("source");
        std::fs::create_dir(&source).unwrap();
        std::fs::write(source.join("old"), vec![1u8; 300_000]).unwrap();
        let backup = || {
            let repo = repository::open(&location, &password)
                .unwrap()
                .to_indexed_ids()
                .unwrap();
            let snapshot = rustic_core::SnapshotOptions::default()
                .to_snapshot()
                .unwrap();
            let paths = rustic_core::PathList::from_string(&source.to_string_lossy()).unwrap();
            repo.backup(&rustic_core::BackupOptions::default(), &paths, snapshot)
                .unwrap();
        };
        backup();
        let old = indexed(&location, &password);
        let repo = repository::open(&location, &password).unwrap();
        let before = readback::index_ids(&repo, &location).unwrap();
        std::fs::write(source.join("new"), vec![2u8; 300_000]).unwrap();
        backup();
        let new: BTreeSet<PackId> = &indexed(&location, &password) - &old;
        assert!(!new.is_empty());
        // One pack of each: the old one is not the new index's to drop.
        let damaged: BTreeSet<PackId> = [*new.first().unwrap(), *old.first().unwrap()].into();
        let repo = repository::open(&location, &password).unwrap();
        let unindexed = unindex(&repo, &location, &before, &damaged).unwrap();
        assert_eq!(unindexed, [*new.first().unwrap()].into());
        let now = indexed(&location, &password);
        assert!(
            !now.contains(new.first().unwrap()),
            "the damaged new pack left the index"
        );
        assert!(old.is_subset(&now), "the older packs stay indexed");
        assert!(
            new.iter().skip(1).all(|pack| now.contains(pack)),
            "the sound new packs stay indexed"
        );
        // What the dropped pack held is written again, into a pack of its own.
        backup();
        let again = &indexed(&location, &password) - &now;
        assert!(
            !again.is_empty(),
            "the next backup wrote the unindexed blobs again"
        );
    }
}
