//! Backups: the on-disk format (manifest, checksums, volume archives with digest lists),
//! making, listing, verifying and restoring them, with the quiescing of the containers
//! that use the volumes and the recovery journal that undoes a run that died. The verbs
//! in `commands/` are thin layers over this module; nothing here prints except through
//! the reports it returns.

pub mod api_switch;
pub mod archive;
pub mod beneath;
pub mod capture;
pub mod create;
pub mod digest_list;
pub mod dump;
pub mod entry;
pub mod into_repository;
pub mod journal;
pub mod local;
pub mod lock;
pub mod made_here;
pub mod manifest;
pub mod metrics;
pub mod prune;
pub mod quiesce;
pub mod read_ahead;
pub mod restic_node;
pub mod restore;
pub mod reused;
pub mod snapshot;
pub mod snapshot_source;
pub mod store;
pub mod streamed;
pub mod verify;
