//! restic's encryption of repository files: AES-256-CTR with a Poly1305-AES MAC under
//! the repository's data key, each file or blob a random 16-byte nonce, the ciphertext
//! and the MAC. rustic_core keeps its own cipher to itself; what safeops writes or
//! checks beside it (lock files, packs read back) uses the same crate.

use aes256ctr_poly1305aes::Aes256CtrPoly1305Aes;
use aes256ctr_poly1305aes::aead::Aead;
use rustic_core::repofile::MasterKey;
use sha2::Digest;

use crate::error::{Error, Result};

/// The repository's data key as AES-256-CTR + Poly1305-AES, restic's cipher.
pub fn cipher(key: &MasterKey) -> Aes256CtrPoly1305Aes {
    let mut bytes = Vec::with_capacity(64);
    bytes.extend_from_slice(&key.encrypt);
    bytes.extend_from_slice(&key.mac.k);
    bytes.extend_from_slice(&key.mac.r);
    Aes256CtrPoly1305Aes::new(aes256ctr_poly1305aes::Key::from_slice(&bytes))
}

/// restic's encrypted file: a random 16-byte nonce, the ciphertext and its MAC.
pub fn seal(cipher: &Aes256CtrPoly1305Aes, plain: &[u8]) -> Result<Vec<u8>> {
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce)
        .map_err(|e| Error::failure(format!("no randomness to encrypt with: {e}")))?;
    let sealed = cipher
        .encrypt((&nonce).into(), plain)
        .map_err(|_| Error::failure("cannot encrypt"))?;
    Ok([nonce.as_slice(), &sealed].concat())
}

/// `plain` sealed as a repository file (a lock, an index) and the name restic gives it:
/// the SHA-256 of the sealed bytes, in hex.
pub fn seal_named(cipher: &Aes256CtrPoly1305Aes, plain: &[u8]) -> Result<(String, Vec<u8>)> {
    let sealed = seal(cipher, plain)?;
    Ok((hex::encode(sha2::Sha256::digest(&sealed)), sealed))
}

/// The plaintext of `sealed`, or `None` when it does not authenticate under `cipher`.
pub fn open(cipher: &Aes256CtrPoly1305Aes, sealed: &[u8]) -> Option<Vec<u8>> {
    let (nonce, text) = sealed.split_at_checked(16)?;
    let nonce: &[u8; 16] = nonce.try_into().ok()?;
    cipher.decrypt(nonce.into(), text).ok()
}
