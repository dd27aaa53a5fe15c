//! The backups this host made, as its private state records them. A restore into the
//! very volume a backup was made of puts back its special entries (device nodes,
//! setuid and setgid files, file capabilities) only when this host made that backup:
//! the volume's name and creation time are in every copy of every backup of it, so
//! whoever can write where backups are kept could forge a backup that claims them.
//! What is recorded cannot be forged: for a plain backup, the SHA-256 of its
//! `manifest.json` (the volumes it claims, the digests of its files) and of its
//! `SHA256SUMS`; for a snapshot, its id, the hash of what it holds.

use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

/// The file of identities, one per line.
fn path() -> PathBuf {
    crate::state::state_dir().join("made-here")
}

/// The identity of a plain backup whose `manifest.json` and `SHA256SUMS` hold
/// `manifest` and `sums`.
pub fn plain(manifest: &[u8], sums: &[u8]) -> String {
    let mut both = Sha256::new();
    both.update(Sha256::digest(manifest));
    both.update(Sha256::digest(sums));
    format!("plain:{}", hex::encode(both.finalize()))
}

/// The identity of the snapshot with the (full, hex) id `id`.
pub fn snapshot(id: &str) -> String {
    format!("snapshot:{id}")
}

/// Records `identities` as made here, durably.
pub fn record(identities: &[String]) -> io::Result<()> {
    crate::state::create_private_dir(&crate::state::state_dir())?;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path())?;
    // One write: lines of concurrent backups never interleave. Each begins on a line
    // of its own, also after a write a full disk cut short.
    let lines: String = identities.iter().map(|id| format!("\n{id}\n")).collect();
    file.write_all(lines.as_bytes())?;
    file.sync_all()
}

/// Whether this host recorded `identity` (a record that cannot be read proves nothing).
pub fn contains(identity: &str) -> bool {
    std::fs::read_to_string(path()).is_ok_and(|text| text.lines().any(|line| line == identity))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_differ_by_kind_and_content() {
        assert_ne!(plain(b"{}", b"a  file\n"), plain(b"{}", b"b  file\n"));
        assert_ne!(plain(b"{}", b"x"), plain(b"{ }", b"x"));
        // The two parts cannot be traded for each other.
        assert_ne!(plain(b"ab", b"c"), plain(b"a", b"bc"));
        assert_ne!(snapshot("ab"), plain(b"ab", b""));
    }
}
