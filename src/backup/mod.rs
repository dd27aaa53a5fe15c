//! Backups: the on-disk format (manifest, checksums, volume archives with digest lists),
//! making, listing, verifying and restoring them. The verbs in `commands/` are thin
//! layers over this module; nothing here prints except through the reports it returns.

pub mod archive;
pub mod capture;
pub mod create;
pub mod dump;
pub mod entry;
pub mod local;
pub mod manifest;
pub mod restore;
pub mod store;
pub mod verify;
pub mod journal;
pub mod quiesce;
