//! The blobs a new snapshot reuses that no read-back vouched for.
//!
//! A backup reads back the packs it wrote, but its archiver also reuses any blob an
//! index names: those of its parent snapshot, read back when the parent was published,
//! and others: another target's snapshot, a run whose read-back failed or that was
//! killed during it, a concurrent run not read back yet, a snapshot restic wrote. Those
//! are found by walking the new snapshot's trees beside the parent's, skipping every
//! subtree whose id the parent has at the same place, so an unchanged backup walks
//! little more than its root. Blocks: call it from `spawn_blocking`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use rustic_core::repofile::{BlobType, IndexBlob, IndexPack, NodeType, PackId};
use rustic_core::{BlobId, DataId, IndexedFull, Repository, TreeId};

use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::storage::location::Repository as Location;
use crate::storage::repository::repository_error;

/// The packs holding the blobs the snapshot of root `tree` uses that neither its
/// parent's tree (`parent`) at the same place uses nor `written` (the packs the backup
/// wrote) holds, each with just those blobs. `repo`'s index must know the new blobs.
pub fn outside_parent<S: IndexedFull>(
    repo: &Repository<S>,
    location: &Location,
    tree: TreeId,
    parent: Option<TreeId>,
    written: &BTreeSet<PackId>,
    cancel: &Cancel,
) -> Result<Vec<IndexPack>> {
    let failed = |e: Box<rustic_core::RusticError>| repository_error(location, &e);
    let mut blobs: HashSet<(BlobType, BlobId)> = HashSet::new();
    let mut stack = vec![(tree, parent)];
    while let Some((tree, parent)) = stack.pop() {
        if cancel.reason().is_some() {
            return Err(Error::interrupted());
        }
        if parent == Some(tree) {
            continue;
        }
        blobs.insert((BlobType::Tree, BlobId::from(tree)));
        // A last snapshot that cannot be read vouches for nothing there: everything
        // below is read back, and the backup goes on.
        let known: HashMap<_, _> = parent
            .and_then(|parent| repo.get_tree(&parent).ok())
            .map(|tree| {
                tree.nodes
                    .into_iter()
                    .map(|node| (node.name().into_owned(), node))
                    .collect()
            })
            .unwrap_or_default();
        for node in repo.get_tree(&tree).map_err(failed)?.nodes {
            let before = known.get(&*node.name());
            if let Some(subtree) = node.subtree {
                stack.push((subtree, before.and_then(|b| b.subtree)));
                continue;
            }
            if node.node_type != NodeType::File {
                continue;
            }
            let had: HashSet<&DataId> = before
                .and_then(|b| b.content.as_ref())
                .map(|c| c.iter().collect())
                .unwrap_or_default();
            for id in node.content.iter().flatten() {
                if !had.contains(id) {
                    blobs.insert((BlobType::Data, BlobId::from(*id)));
                }
            }
        }
    }
    let mut packs: BTreeMap<PackId, Vec<IndexBlob>> = BTreeMap::new();
    for (tpe, id) in blobs {
        let entry = match tpe {
            BlobType::Tree => repo.get_index_entry(&TreeId::from(id)),
            BlobType::Data => repo.get_index_entry(&DataId::from(id)),
        }
        .map_err(|e| {
            Error::integrity(format!(
                "the snapshot uses blob {} that no index of {location} names: {}",
                &id.to_hex()[..8],
                e.display_log()
            ))
        })?;
        if !written.contains(&entry.pack) {
            packs.entry(entry.pack).or_default().push(IndexBlob {
                id,
                tpe,
                location: entry.location,
            });
        }
    }
    Ok(packs
        .into_iter()
        .map(|(id, blobs)| IndexPack {
            id,
            blobs,
            time: None,
            size: None,
        })
        .collect())
}
