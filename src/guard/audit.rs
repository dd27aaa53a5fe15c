//! The audit log: every guarded operation (its plan, how it was confirmed, its
//! outcome), every backup and restore, appended as one JSON line each to
//! `$XDG_STATE_HOME/docker-safeops/audit.log`. Each entry carries the SHA-256 of the
//! previous one and its own, so an edited, removed or reordered entry breaks the chain
//! and `log --verify` names the first broken one.
//!
//! A chain alone cannot show that its end was cut off or that it was rewritten from
//! some entry on. So the head of the chain (the last entry's number and hash) is also
//! kept where the log is not: in a state file beside it, rewritten with every entry,
//! and in the manifest of every backup. `log --verify` checks the log against those
//! anchors: an anchored entry that is missing or has another hash means truncation,
//! deletion or a recomputed chain.

use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The `prev` of the first entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// 1, 2, 3, ...
    pub seq: u64,
    /// When (RFC 3339, UTC).
    pub time: String,
    /// Who ran it (user name or uid) and where.
    pub actor: String,
    /// What happened.
    pub event: serde_json::Value,
    /// `hash` of the previous entry.
    pub prev: String,
    /// SHA-256 over `seq`, `time`, `actor`, `event` and `prev`.
    pub hash: String,
}

impl Entry {
    fn compute_hash(&self) -> String {
        let body = serde_json::json!({
            "seq": self.seq,
            "time": self.time,
            "actor": self.actor,
            "event": self.event,
            "prev": self.prev,
        });
        hex::encode(Sha256::digest(body.to_string().as_bytes()))
    }
}

/// The head of the chain: its last entry's number and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// The last entry's `seq` (0: no entry yet).
    pub seq: u64,
    /// The last entry's `hash`.
    pub hash: String,
}

/// A head recorded elsewhere, and where.
#[derive(Debug, Clone)]
pub struct Anchor {
    /// Where it was recorded (a file), for the message.
    pub source: String,
    /// What it recorded.
    pub head: Head,
}

/// The default log file.
pub fn default_path() -> PathBuf {
    crate::state::state_dir().join("audit.log")
}

/// The state file holding the head of the log at `log`.
pub fn head_path(log: &Path) -> PathBuf {
    log.with_extension("head")
}

/// The head recorded beside the log at `log`, when there is one.
pub fn read_head(log: &Path) -> Result<Option<Head>> {
    let path = head_path(log);
    match fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|err| {
            Error::integrity(format!("{} is not a chain head: {err}", path.display()))
        }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(Error::failure(format!(
            "cannot read {}: {err}",
            path.display()
        ))),
    }
}

fn actor() -> String {
    let user = std::env::var("SUDO_USER")
        .ok()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| format!("uid {}", rustix::process::getuid().as_raw()));
    let host = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned();
    format!("{user}@{host}")
}

/// Appends `event` to the log at `path`, chained to the last entry. The file is locked
/// while appending, so concurrent invocations keep the chain intact.
pub fn append(path: &Path, event: serde_json::Value) -> Result<Entry> {
    let failed = |err: std::io::Error| {
        Error::failure(format!(
            "cannot write the audit log {}: {err}",
            path.display()
        ))
    };
    if let Some(dir) = path.parent() {
        crate::state::create_private_dir(dir).map_err(failed)?;
    }
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)
        .map_err(failed)?;
    rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)
        .map_err(|e| failed(e.into()))?;
    let mut text = Vec::new();
    (&file).read_to_end(&mut text).map_err(failed)?;
    // A write cut short (a full disk, a crash) leaves a last line without its end: the
    // new entry starts a line of its own, chained to the last whole entry, or it would
    // be lost in that line and the chain restarted from nothing.
    let torn = !text.is_empty() && !text.ends_with(b"\n");
    let written: Vec<Entry> = text
        .split(|b| *b == b'\n')
        .filter_map(|line| serde_json::from_slice::<Entry>(line).ok())
        .collect();
    // The head names an entry the log no longer holds: its end was cut or rewritten.
    // The head stays as it is, for `log --verify` to report, not moved onto the cut log.
    // A head that cannot be read (another user's file) says nothing; one that is no
    // head was rewritten.
    let cut = match read_head(path) {
        Ok(Some(head)) => !written
            .iter()
            .any(|e| e.seq == head.seq && e.hash == head.hash),
        Err(err) => err.code == crate::error::ExitCode::Integrity,
        Ok(None) => false,
    };
    let last = written.into_iter().last();
    let mut entry = Entry {
        seq: last.as_ref().map_or(1, |e| e.seq + 1),
        time: crate::state::now(),
        actor: actor(),
        event,
        prev: last.map_or_else(|| GENESIS.to_string(), |e| e.hash),
        hash: String::new(),
    };
    entry.hash = entry.compute_hash();
    let line = format!(
        "{}{}\n",
        if torn { "\n" } else { "" },
        serde_json::to_string(&entry).expect("entry serializes")
    );
    file.write_all(line.as_bytes()).map_err(failed)?;
    file.sync_data().map_err(failed)?;
    if cut {
        crate::say!(
            "warning: the audit log {} no longer holds the entry {} names: it was cut or \
             rewritten; `docker safeops log --verify` reports it (if the log was rotated or \
             removed on purpose, remove that file too to start a new chain)",
            path.display(),
            head_path(path).display()
        );
        return Ok(entry);
    }
    // Still under the lock: the head always names the last entry written.
    let head = Head {
        seq: entry.seq,
        hash: entry.hash.clone(),
    };
    crate::state::write_private(
        &head_path(path),
        &serde_json::to_vec(&head).expect("head serializes"),
    )
    .map_err(failed)?;
    Ok(entry)
}

/// How an operation ended, for the log, on one line: `ok`, `refused: why` (a guard or
/// lock said no) or `failed: why`.
pub fn outcome_of<T>(result: &Result<T>) -> String {
    match result {
        Ok(_) => "ok".to_string(),
        Err(err) => {
            let why = crate::redact::text(&err.message);
            let why = why.split_whitespace().collect::<Vec<_>>().join(" ");
            match err.code {
                crate::error::ExitCode::Refused => format!("refused: {why}"),
                crate::error::ExitCode::Interrupted => "interrupted".to_string(),
                _ => format!("failed: {why}"),
            }
        }
    }
}

/// Appends an entry for `verb` on `target` that ended with `outcome` (see
/// [`outcome_of`]), with `details` (an object) merged in; warns instead of failing: the
/// operation it records already happened and must not be reported as failed because
/// the log could not be written.
pub fn record(verb: &str, target: &str, outcome: String, details: serde_json::Value) {
    let mut event = serde_json::json!({"verb": verb, "target": target, "outcome": outcome});
    if let (Some(event), serde_json::Value::Object(details)) = (event.as_object_mut(), details) {
        for (key, value) in details {
            event.entry(key).or_insert(value);
        }
    }
    if let Err(err) = append(&default_path(), event) {
        crate::say!("warning: {err}");
    }
}

/// Every entry of the log at `path` (a missing log is empty). A line that is not
/// UTF-8 (a write cut in the middle of a character) is an entry that does not parse.
pub fn read(path: &Path) -> Result<Vec<(usize, std::result::Result<Entry, String>)>> {
    let text = match fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => {
            return Err(Error::failure(format!(
                "cannot read the audit log {}: {err}",
                path.display()
            )));
        }
    };
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            (
                i + 1,
                serde_json::from_str::<Entry>(l).map_err(|e| e.to_string()),
            )
        })
        .collect())
}

/// The newest entry of the default log for `verb` on `target`.
pub fn last(verb: &str, target: &str) -> Option<Entry> {
    read(&default_path())
        .ok()?
        .into_iter()
        .rev()
        .filter_map(|(_, entry)| entry.ok())
        .find(|e| e.event["verb"] == verb && e.event["target"] == target)
}

/// Checks the chain: every entry's hash, its link to the previous one and its sequence
/// number. Returns the first broken entry (line number and why), if any. A line that
/// is no entry (a write cut short by a full disk or a crash) breaks nothing by itself:
/// an entry it replaced breaks the link of the next one, and the last one is anchored
/// by the head file (see [`verify_anchors`]).
pub fn verify_chain(
    entries: &[(usize, std::result::Result<Entry, String>)],
) -> Option<(usize, String)> {
    let mut prev = GENESIS.to_string();
    let mut seq = 0;
    for (line, entry) in entries {
        let Ok(entry) = entry else {
            continue;
        };
        if entry.compute_hash() != entry.hash {
            return Some((
                *line,
                format!("entry {} was modified (its hash does not match)", entry.seq),
            ));
        }
        if entry.prev != prev {
            return Some((
                *line,
                format!(
                    "entry {} does not follow the previous entry (one was removed or reordered)",
                    entry.seq
                ),
            ));
        }
        if entry.seq != seq + 1 {
            return Some((*line, format!("entry {} follows entry {seq}", entry.seq)));
        }
        prev = entry.hash.clone();
        seq = entry.seq;
    }
    None
}

/// Checks the log's entries against heads recorded elsewhere: each anchored entry
/// must be in the log with the anchored hash. Returns every mismatch, explained.
pub fn verify_anchors(
    entries: &[(usize, std::result::Result<Entry, String>)],
    anchors: &[Anchor],
) -> Vec<String> {
    let by_seq: std::collections::HashMap<u64, &Entry> = entries
        .iter()
        .filter_map(|(_, e)| e.as_ref().ok())
        .map(|e| (e.seq, e))
        .collect();
    let last = entries
        .iter()
        .rev()
        .find_map(|(_, e)| e.as_ref().ok())
        .map_or(0, |e| e.seq);
    let mut problems = Vec::new();
    for anchor in anchors.iter().filter(|a| a.head.seq > 0) {
        let Head { seq, hash } = &anchor.head;
        match by_seq.get(seq) {
            None => problems.push(format!(
                "{} records entry {seq}, but the log ends at entry {last}: it was truncated or \
                 entries were deleted",
                anchor.source
            )),
            Some(entry) if &entry.hash != hash => problems.push(format!(
                "{} records entry {seq} with another hash: the log was rewritten from there or \
                 before",
                anchor.source
            )),
            Some(_) => {}
        }
    }
    problems
}

/// The current head of the log at `path` (seq 0 when it is empty or missing), for a
/// backup's manifest to record.
pub fn current_head(path: &Path) -> Head {
    let last = read(path)
        .ok()
        .and_then(|entries| entries.into_iter().rev().find_map(|(_, e)| e.ok()));
    last.map_or_else(
        || Head {
            seq: 0,
            hash: GENESIS.to_string(),
        },
        |e| Head {
            seq: e.seq,
            hash: e.hash,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_with_fractional_numbers_verify() {
        // Durations are floats; the chain must survive their text round trip.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let mut x = 0.1f64;
        for _ in 0..200 {
            x = x * 7.3 + 0.000_001_234_567_89;
            append(
                &path,
                serde_json::json!({"verb": "backup", "seconds": x % 1000.0}),
            )
            .unwrap();
        }
        assert_eq!(verify_chain(&read(&path).unwrap()), None);
    }

    /// A write cut short leaves a torn last line: the next entry is whole, on a line of
    /// its own, and chained to the last whole entry; the torn line is reported.
    #[test]
    fn an_entry_after_a_torn_line_is_kept_and_chained() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let first = append(&path, serde_json::json!({"verb": "backup"})).unwrap();
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        // Cut in the middle of a character, too.
        file.write_all(b"{\"seq\":2,\"actor\":\"\xc3").unwrap();
        let after = append(&path, serde_json::json!({"verb": "restore"})).unwrap();
        assert_eq!((after.seq, after.prev.as_str()), (2, first.hash.as_str()));
        let entries = read(&path).unwrap();
        assert_eq!(entries.len(), 3);
        assert!(entries[1].1.is_err(), "the torn line");
        assert_eq!(entries[2].1.as_ref().unwrap().hash, after.hash);
        assert_eq!(verify_chain(&entries), None, "a torn line breaks no link");
    }

    /// The last entries cut off, the next append does not move the head onto the cut
    /// log: the head still names what is gone, and the anchors say so.
    #[test]
    fn a_cut_end_stays_detectable_after_the_next_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        for n in 0..3 {
            append(&path, serde_json::json!({"verb": "backup", "n": n})).unwrap();
        }
        let text = fs::read_to_string(&path).unwrap();
        let kept: Vec<&str> = text.lines().take(2).collect();
        fs::write(&path, kept.join("\n") + "\n").unwrap();
        append(&path, serde_json::json!({"verb": "protect"})).unwrap();
        let entries = read(&path).unwrap();
        assert_eq!(verify_chain(&entries), None, "the chain itself is whole");
        let anchors = [Anchor {
            source: "head".into(),
            head: read_head(&path).unwrap().unwrap(),
        }];
        assert_eq!(verify_anchors(&entries, &anchors).len(), 1);
    }

    #[test]
    fn the_chain_detects_edits_removals_and_reordering() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        for n in 0..3 {
            append(&path, serde_json::json!({"verb": "backup", "n": n})).unwrap();
        }
        assert_eq!(verify_chain(&read(&path).unwrap()), None);
        let text = fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();

        fs::write(&path, text.replace("\"n\":1", "\"n\":7")).unwrap();
        assert_eq!(verify_chain(&read(&path).unwrap()).unwrap().0, 2);

        fs::write(&path, format!("{}\n{}\n", lines[0], lines[2])).unwrap();
        assert_eq!(verify_chain(&read(&path).unwrap()).unwrap().0, 2);

        fs::write(&path, format!("{}\n{}\n{}\n", lines[1], lines[0], lines[2])).unwrap();
        assert_eq!(verify_chain(&read(&path).unwrap()).unwrap().0, 1);
    }

    #[test]
    fn anchors_detect_truncation_and_a_recomputed_chain() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        for n in 0..4 {
            append(&path, serde_json::json!({"verb": "backup", "n": n})).unwrap();
        }
        let head = read_head(&path).unwrap().unwrap();
        assert_eq!(head, current_head(&path));
        assert_eq!(head.seq, 4);
        let anchors = [Anchor {
            source: "audit.head".into(),
            head: head.clone(),
        }];
        assert!(verify_anchors(&read(&path).unwrap(), &anchors).is_empty());
        let text = fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();

        // Truncated: the chain that is left is intact, the anchor is not there.
        fs::write(&path, format!("{}\n{}\n", lines[0], lines[1])).unwrap();
        let entries = read(&path).unwrap();
        assert_eq!(verify_chain(&entries), None);
        assert!(verify_anchors(&entries, &anchors)[0].contains("truncated"));

        // Entry 2 deleted and the chain after it recomputed: intact chain, other hash.
        let mut rebuilt = Vec::new();
        let mut prev = GENESIS.to_string();
        for (seq, line) in [lines[0], lines[2], lines[3], lines[3]].iter().enumerate() {
            let mut entry: Entry = serde_json::from_str(line).unwrap();
            entry.seq = seq as u64 + 1;
            entry.prev = prev;
            entry.hash = entry.compute_hash();
            prev = entry.hash.clone();
            rebuilt.push(serde_json::to_string(&entry).unwrap());
        }
        fs::write(&path, rebuilt.join("\n") + "\n").unwrap();
        let entries = read(&path).unwrap();
        assert_eq!(verify_chain(&entries), None);
        assert!(verify_anchors(&entries, &anchors)[0].contains("another hash"));
    }
}
