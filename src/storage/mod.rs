//! Backup locations beyond a plain directory: restic-format repositories (issue 14) on
//! the local disk, S3 and SFTP. [`location`] parses restic's syntax, [`backend`] is the
//! storage behind rustic_core, [`repository`] opens and creates repositories, [`lock`]
//! keeps restic's locks, [`crypto`] is restic's cipher for what safeops writes or reads
//! beside rustic_core, [`readback`] checks what a backup added, [`index`] writes and
//! removes index files beside rustic_core.

pub mod backend;
pub mod crypto;
pub mod index;
pub mod location;
pub mod lock;
pub mod readback;
pub mod repository;
