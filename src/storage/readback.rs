//! Reading back what a backup just added to a repository: every blob of every new pack
//! fetched from the storage, decrypted, authenticated, decompressed and hashed against
//! its id, and each pack's header read, authenticated and compared with the index, as
//! `restic check --read-data` does, but for the new packs only. An unchanged
//! backup reads nothing back; a big one reads back what it added, one blob at a time.
//! Blocks: call it from `spawn_blocking`.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use rustic_core::FileType;
use rustic_core::repofile::{IndexBlob, IndexFile, IndexId, IndexPack, MasterKey, PackId};
use sha2::Digest;

use super::backend::Storage;
use super::crypto;
use super::location::Repository;
use super::repository::repository_error;
use crate::cancel::Cancel;
use crate::error::{Error, Result};

/// The index files of `repo`, to tell later which ones are new.
pub fn index_ids<S: rustic_core::Open>(
    repo: &rustic_core::Repository<S>,
    location: &Repository,
) -> Result<BTreeSet<IndexId>> {
    Ok(repo
        .list::<IndexId>()
        .map_err(|e| repository_error(location, &e))?
        .collect())
}

/// The index files `ids` of `repo`, read.
pub fn index_files<'a, S: rustic_core::Open>(
    repo: &rustic_core::Repository<S>,
    location: &Repository,
    ids: impl IntoIterator<Item = &'a IndexId>,
) -> Result<Vec<(IndexId, IndexFile)>> {
    ids.into_iter()
        .map(|id| {
            repo.get_file::<IndexFile>(id)
                .map(|index| (*id, index))
                .map_err(|e| repository_error(location, &e))
        })
        .collect()
}

/// The packs the index files not in `before` describe, once each of those files is
/// known to be stored as written (see [`stored_as_named`]).
pub fn new_packs<S: rustic_core::Open>(
    repo: &rustic_core::Repository<S>,
    location: &Repository,
    before: &BTreeSet<IndexId>,
) -> Result<Vec<IndexPack>> {
    let ids = index_ids(repo, location)?;
    let new: Vec<&IndexId> = ids.difference(before).collect();
    stored_as_named(location, FileType::Index, new.iter().map(|id| ***id))?;
    Ok(index_files(repo, location, new)?
        .into_iter()
        .flat_map(|(_, index)| index.packs)
        .collect())
}

/// Checks that each file `ids` of `file_type` hashes to its name as the storage holds
/// it, read from the storage itself: rustic reads index and snapshot files through
/// its local cache, which holds the copy this host wrote, so a copy the storage cut or
/// damaged would pass here and fail on any other machine (the one a disaster recovery
/// runs on). An integrity error names those that do not.
pub fn stored_as_named(
    location: &Repository,
    file_type: FileType,
    ids: impl IntoIterator<Item = rustic_core::Id>,
) -> Result<()> {
    use rustic_core::ReadBackend;
    let storage = Storage::new(location)?;
    let mut damaged = Vec::new();
    for id in ids {
        let stored = storage
            .read_full(file_type, &id)
            .map_err(|e| repository_error(location, &e))?;
        if hex::encode(sha2::Sha256::digest(&stored)) != *id.to_hex() {
            damaged.push(id.to_hex()[..8].to_string());
        }
    }
    if damaged.is_empty() {
        return Ok(());
    }
    Err(Error::integrity(format!(
        "{file_type:?} file(s) {} in {location} are not what their names say (the \
         stored copy hashes otherwise): the storage damaged or replaced them",
        damaged.join(", ")
    )))
}

/// Blobs read back in one request, at most this much (adjacent blobs of a pack).
const RUN: u32 = 8 << 20;

/// Requests in flight at once, at most: enough to keep every core busy decrypting and
/// hashing on a local repository, and a remote one busy serving.
const MAX_READERS: usize = 8;

/// A blob's claimed size beyond which it is not decompressed (rustic cuts chunks of at
/// most 8 MiB; a tree of millions of entries stays well below).
const MAX_BLOB: u64 = 1 << 30;

/// Adjacent blobs of one pack, read in one request.
struct Run<'a> {
    pack: &'a IndexPack,
    blobs: Vec<&'a IndexBlob>,
    /// The pack's header is read too, to the end of the file: the last run of a pack
    /// given whole.
    header: bool,
}

/// The blobs of `whole` packs and of `parts` of packs (some of their blobs only) in
/// runs of adjacent ones of up to RUN bytes.
fn runs<'a>(whole: &'a [IndexPack], parts: &'a [IndexPack]) -> Vec<Run<'a>> {
    let mut runs: Vec<Run> = Vec::new();
    for (pack, is_whole) in whole
        .iter()
        .map(|p| (p, true))
        .chain(parts.iter().map(|p| (p, false)))
    {
        let mut blobs: Vec<_> = pack.blobs.iter().collect();
        blobs.sort_by_key(|b| b.location.offset);
        let first = runs.len();
        for blob in blobs {
            let at = &blob.location;
            match runs[first..].last_mut() {
                Some(run)
                    if run.blobs.last().is_some_and(|last| {
                        last.location.offset + last.location.length == at.offset
                    }) && at.offset + at.length - run.blobs[0].location.offset <= RUN =>
                {
                    run.blobs.push(blob)
                }
                _ => runs.push(Run {
                    pack,
                    blobs: vec![blob],
                    header: false,
                }),
            }
        }
        if let (true, Some(last)) = (is_whole, runs[first..].last_mut()) {
            last.header = true;
        }
    }
    runs
}

/// Something wrong with a pack that reading it back found.
#[derive(Debug, Clone)]
pub struct Damage {
    /// The pack.
    pub pack: PackId,
    /// What is wrong, for the user: "pack 1a2b3c4d: blob 5e6f7a8b: does not
    /// authenticate (MAC)".
    pub what: String,
}

/// `damage`, one per line, indented under a message's first line.
pub fn listed(damage: &[Damage]) -> String {
    damage
        .iter()
        .map(|d| d.what.as_str())
        .collect::<Vec<_>>()
        .join("\n  ")
}

/// What reading back the whole `packs` (each with every blob it holds, as its index
/// file lists it) found wrong (empty: all sound), and the bytes read. Stops early,
/// with an interrupted error, on `cancel`.
pub fn check(
    location: &Repository,
    key: &MasterKey,
    packs: &[IndexPack],
    cancel: &Cancel,
) -> Result<(Vec<Damage>, u64)> {
    check_with_parts(location, key, (packs, &[]), cancel)
}

/// [`check`] of the `whole` packs and of `parts` of others (just some of their blobs,
/// whose headers are not read).
pub fn check_with_parts(
    location: &Repository,
    key: &MasterKey,
    (whole, parts): (&[IndexPack], &[IndexPack]),
    cancel: &Cancel,
) -> Result<(Vec<Damage>, u64)> {
    let storage = Storage::new(location)?;
    let cipher = crypto::cipher(key);
    let runs = runs(whole, parts);
    let next = AtomicUsize::new(0);
    let read = AtomicU64::new(0);
    let found = Mutex::new(Vec::new());
    let failed = Mutex::new(None);
    let readers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(2, MAX_READERS)
        .min(runs.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..readers {
            scope.spawn(|| {
                let mut decompressor = zstd::bulk::Decompressor::new().ok();
                while cancel.reason().is_none() {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(run) = runs.get(index) else {
                        break;
                    };
                    let (problems, bytes) =
                        match check_run(&storage, &cipher, decompressor.as_mut(), run) {
                            Ok(checked) => checked,
                            Err(err) => {
                                // The others stop at their next run.
                                next.store(runs.len(), Ordering::Relaxed);
                                failed
                                    .lock()
                                    .unwrap_or_else(|e| e.into_inner())
                                    .get_or_insert(err);
                                break;
                            }
                        };
                    read.fetch_add(bytes, Ordering::Relaxed);
                    if !problems.is_empty() {
                        found
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push((index, problems));
                    }
                }
            });
        }
    });
    if cancel.reason().is_some() {
        return Err(Error::interrupted());
    }
    // A storage that cannot be read says nothing about what it holds.
    if let Some(err) = failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
        let mut err = repository_error(location, &err);
        err.message = format!("cannot read back what was written: {}", err.message);
        return Err(err);
    }
    // In the order of the packs, whichever reader found them.
    let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
    found.sort_by_key(|(index, _)| *index);
    let problems = found.into_iter().flat_map(|(_, p)| p).collect();
    Ok((problems, read.into_inner()))
}

/// What is wrong with the blobs of `run`, and the bytes read; an error when the storage
/// cannot be read (a pack it does not have is what is wrong).
fn check_run(
    storage: &Storage,
    cipher: &aes256ctr_poly1305aes::Aes256CtrPoly1305Aes,
    mut decompressor: Option<&mut zstd::bulk::Decompressor<'static>>,
    run: &Run,
) -> Result<(Vec<Damage>, u64), Box<rustic_core::RusticError>> {
    let pack_id = run.pack.id.to_hex();
    let start = run.blobs[0].location.offset;
    let blobs_end = run
        .blobs
        .iter()
        .map(|b| b.location.offset + b.location.length)
        .max()
        .unwrap_or(start);
    // The last run of a whole pack reads its header too (after the blobs, to the end of
    // the file): restore's check reads it, so a backup must not vouch for a pack whose
    // header the storage cut or damaged.
    let with_header = run.header;
    let end = match with_header {
        true => run.pack.pack_size().max(blobs_end),
        false => blobs_end,
    };
    let damage = |what: String| Damage {
        pack: run.pack.id,
        what,
    };
    let Some(bytes) = storage.read_pack_range(&run.pack.id, start, end - start)? else {
        return Ok((
            vec![damage(format!(
                "pack {}: missing from the repository, or shorter than the index says",
                &pack_id[..8]
            ))],
            0,
        ));
    };
    let mut problems = Vec::new();
    // The header is read where the index says the pack ends; restore's check reads
    // the stored file's end, and refuses a pack of another size.
    if with_header {
        let stored = storage.stored_pack_size(&run.pack.id)?;
        let indexed = u64::from(run.pack.pack_size());
        if stored.is_some_and(|stored| stored != indexed) {
            problems.push(damage(format!(
                "pack {}: {} bytes stored, the index says {indexed}",
                &pack_id[..8],
                stored.unwrap_or_default()
            )));
        }
    }
    for blob in &run.blobs {
        let at = &blob.location;
        let blob_id = blob.id.to_hex();
        let what = format!("pack {}: blob {}", &pack_id[..8], &blob_id[..8]);
        let from = (at.offset - start) as usize;
        let Some(sealed) = bytes.get(from..from + at.length as usize) else {
            problems.push(damage(format!("{what}: shorter than the index says")));
            continue;
        };
        let Some(plain) = crypto::open(cipher, sealed) else {
            problems.push(damage(format!("{what}: does not authenticate (MAC)")));
            continue;
        };
        let data = match at.uncompressed_length {
            Some(size) if u64::from(size.get()) > MAX_BLOB => {
                problems.push(damage(format!("{what}: the index claims {size} bytes")));
                continue;
            }
            Some(size) => {
                let decompressed = match decompressor.as_deref_mut() {
                    Some(d) => d.decompress(&plain, size.get() as usize),
                    None => zstd::decode_all(plain.as_slice()),
                };
                match decompressed {
                    Ok(data) if data.len() == size.get() as usize => data,
                    Ok(data) => {
                        problems.push(damage(format!(
                            "{what}: {} bytes decompressed, the index says {size}",
                            data.len()
                        )));
                        continue;
                    }
                    Err(err) => {
                        problems.push(damage(format!("{what}: cannot decompress: {err}")));
                        continue;
                    }
                }
            }
            None => plain,
        };
        if hex::encode(sha2::Sha256::digest(&data)) != *blob_id {
            problems.push(damage(format!("{what}: content differs from its id")));
        }
    }
    if with_header
        && let Some(why) = header_problem(cipher, run.pack, &bytes[(blobs_end - start) as usize..])
    {
        problems.push(damage(format!("pack {}: header {why}", &pack_id[..8])));
    }
    Ok((problems, bytes.len() as u64))
}

/// What is wrong with the end of `pack` after its blobs, `tail`: its header (sealed)
/// and that header's length. The header must be what the index says: per blob in pack
/// order, its type (0 data, 1 tree, 2 and 3 the same compressed), its length, its
/// length uncompressed when compressed, and its id (restic's pack format).
fn header_problem(
    cipher: &aes256ctr_poly1305aes::Aes256CtrPoly1305Aes,
    pack: &IndexPack,
    tail: &[u8],
) -> Option<&'static str> {
    let Some((sealed, length)) = tail.split_last_chunk::<4>() else {
        return Some("missing");
    };
    if u32::from_le_bytes(*length) as usize != sealed.len() {
        return Some("length differs from the header's");
    }
    let Some(header) = crypto::open(cipher, sealed) else {
        return Some("does not authenticate (MAC)");
    };
    let mut blobs: Vec<&IndexBlob> = pack.blobs.iter().collect();
    blobs.sort_by_key(|b| b.location.offset);
    let mut expected = Vec::with_capacity(header.len());
    for blob in blobs {
        let at = &blob.location;
        let kind = u8::from(blob.tpe == rustic_core::repofile::BlobType::Tree);
        expected.push(
            kind + if at.uncompressed_length.is_some() {
                2
            } else {
                0
            },
        );
        expected.extend(at.length.to_le_bytes());
        if let Some(size) = at.uncompressed_length {
            expected.extend(size.get().to_le_bytes());
        }
        expected.extend(hex::decode(blob.id.to_hex().as_str()).unwrap_or_default());
    }
    (header != expected).then_some("differs from the index")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_packs_read_back_sound_a_flipped_byte_or_a_lost_pack_is_found_and_a_failed_read_said() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::write(data.join("file"), vec![7u8; 300_000]).unwrap();
        let password = dir.path().join("password");
        std::fs::write(&password, "secret\n").unwrap();
        let location = Repository::Local(dir.path().join("repo"));
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (problems, read, corrupted) = runtime
            .block_on(async move {
                tokio::task::spawn_blocking(move || {
                    let password = super::super::repository::password(Some(&password), false)?;
                    let repo = super::super::repository::init(&location, &password, None)?;
                    let before = index_ids(&repo, &location)?;
                    let repo = repo.to_indexed_ids().unwrap();
                    let snapshot = rustic_core::SnapshotOptions::default()
                        .to_snapshot()
                        .unwrap();
                    let paths =
                        rustic_core::PathList::from_string(&data.to_string_lossy()).unwrap();
                    repo.backup(&rustic_core::BackupOptions::default(), &paths, snapshot)
                        .unwrap();
                    let packs = new_packs(&repo, &location, &before)?;
                    let (_trigger, cancel) = crate::cancel::pair();
                    let (problems, read) = check(&location, &repo.key(), &packs, &cancel)?;
                    // One byte of the data pack flipped where it is stored.
                    let biggest = packs.iter().max_by_key(|p| p.pack_size()).unwrap();
                    let hex = biggest.id.to_hex();
                    let Repository::Local(root) = &location else {
                        unreachable!()
                    };
                    let path = root.join("data").join(&hex[..2]).join(&*hex);
                    let original = std::fs::read(&path).unwrap();
                    // Its header damaged, the blobs intact.
                    let mut bytes = original.clone();
                    bytes[original.len() - 10] ^= 1;
                    std::fs::write(&path, &bytes).unwrap();
                    let (header, _) = check(&location, &repo.key(), &packs, &cancel)?;
                    assert_eq!(header.len(), 1, "{header:?}");
                    assert!(header[0].what.contains("header"), "{header:?}");
                    // Bytes appended by the storage: the blobs and the header where the
                    // index says are intact, but restore would refuse the pack.
                    let mut grown = original.clone();
                    grown.extend([0u8; 16]);
                    std::fs::write(&path, &grown).unwrap();
                    let (longer, _) = check(&location, &repo.key(), &packs, &cancel)?;
                    assert_eq!(longer.len(), 1, "{longer:?}");
                    assert!(longer[0].what.contains("bytes stored"), "{longer:?}");
                    let mut bytes = original;
                    bytes[20] ^= 1;
                    std::fs::write(&path, bytes).unwrap();
                    let (corrupted, _) = check(&location, &repo.key(), &packs, &cancel)?;
                    // A storage that cannot be read is an error, not damage found.
                    std::fs::remove_file(&path).unwrap();
                    std::fs::create_dir(&path).unwrap();
                    let unreadable = check(&location, &repo.key(), &packs, &cancel).unwrap_err();
                    assert_ne!(
                        unreadable.code,
                        crate::error::ExitCode::Integrity,
                        "{}",
                        unreadable.message
                    );
                    assert!(
                        unreadable.message.contains("cannot read back"),
                        "{}",
                        unreadable.message
                    );
                    // A pack that is gone is damage found.
                    std::fs::remove_dir(&path).unwrap();
                    let (missing, _) = check(&location, &repo.key(), &packs, &cancel)?;
                    assert_eq!(missing.len(), 1, "{missing:?}");
                    assert!(
                        missing[0].what.contains("missing from the repository"),
                        "{missing:?}"
                    );
                    Ok::<_, Error>((problems, read, corrupted))
                })
                .await
                .unwrap()
            })
            .unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert!(read > 0);
        assert_eq!(corrupted.len(), 1, "{corrupted:?}");
        assert!(corrupted[0].what.contains("MAC"), "{corrupted:?}");
    }
}
