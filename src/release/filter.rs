//! A streaming filter over an image archive (`docker save`): every entry passes through
//! byte for byte except the layer files the target already has, which are left out.
//! Nothing is buffered but tar headers and the small `<dir>/json` entries the decision
//! is made from, so an image of any size streams through in constant memory.
//!
//! Both archive layouts are understood: the legacy one (Docker before 25: a directory
//! per layer holding `VERSION`, `json` and `layer.tar`) and the OCI layout (Docker 25
//! and later: `blobs/sha256/<digest>`, uncompressed layers named by their diff id).

use std::collections::HashSet;

use bytes::{Bytes, BytesMut};

use super::layers::{Skippable, v1_dir_chain};

const BLOCK: usize = 512;
/// The largest `<dir>/json` or extension header read into memory; the engine writes a
/// few KiB.
const MAX_BUFFERED: u64 = 4 << 20;

/// What the filter did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Layer files left out.
    pub layers_skipped: usize,
    /// Bytes passed through.
    pub bytes_out: u64,
    /// Bytes left out.
    pub bytes_skipped: u64,
}

#[derive(Debug)]
enum State {
    /// Reading a 512-byte header.
    Header,
    /// Passing `remaining` data bytes (padding included) through, or dropping them.
    Data { remaining: u64, keep: bool },
    /// Buffering an entry's data (a `<dir>/json` or an extension header) to look at.
    Buffer {
        remaining: u64,
        data_len: usize,
        kind: Buffered,
    },
    /// After the two zero blocks that end the archive.
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Buffered {
    /// A legacy layer directory's `json`; the header is in `held`.
    DirJson,
    /// A GNU long name or pax header that belongs to the next entry.
    Extension { pax: bool },
}

/// The filter's state between chunks.
pub struct LayerFilter {
    skip_chains: Vec<String>,
    skip_blobs: HashSet<String>,
    /// Legacy layer directories whose layer file is left out.
    dropped_dirs: HashSet<String>,
    state: State,
    /// Input not yet consumed (less than a block, or a buffered entry).
    input: BytesMut,
    /// Headers held back until the entry they announce is decided.
    held: BytesMut,
    /// The path an extension header gave the next entry.
    long_name: Option<String>,
    /// The size a pax header gave the next entry (Go's tar writer puts sizes of 8 GiB
    /// and more there, and 0 in the header).
    pax_size: Option<u64>,
    /// The legacy layer directory whose `json` is being buffered.
    json_dir: Option<String>,
    zero_blocks: u8,
    tally: Tally,
}

/// Why a stream is not a well-formed image archive.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(pub String);

impl LayerFilter {
    /// A filter that leaves out what `skip` names.
    pub fn new(skip: &Skippable) -> LayerFilter {
        LayerFilter {
            skip_chains: skip.chains.clone(),
            skip_blobs: skip
                .diff_ids
                .iter()
                .filter_map(|d| d.strip_prefix("sha256:"))
                .map(|hex| format!("blobs/sha256/{hex}"))
                .collect(),
            dropped_dirs: HashSet::new(),
            state: State::Header,
            input: BytesMut::new(),
            held: BytesMut::new(),
            long_name: None,
            pax_size: None,
            json_dir: None,
            zero_blocks: 0,
            tally: Tally::default(),
        }
    }

    /// What was passed and left out so far.
    pub fn tally(&self) -> Tally {
        self.tally
    }

    /// Feeds a chunk of the archive; returns what goes on to the target.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Bytes, Malformed> {
        let mut out = BytesMut::new();
        self.input.extend_from_slice(chunk);
        loop {
            match self.state {
                State::Header => {
                    if self.input.len() < BLOCK {
                        break;
                    }
                    let block = self.input.split_to(BLOCK);
                    self.header(&block, &mut out)?;
                }
                State::Data { remaining, keep } => {
                    if self.input.is_empty() {
                        break;
                    }
                    let n = remaining.min(self.input.len() as u64) as usize;
                    let bytes = self.input.split_to(n);
                    if keep {
                        out.extend_from_slice(&bytes);
                    } else {
                        self.tally.bytes_skipped += n as u64;
                    }
                    self.state = match remaining - n as u64 {
                        0 => State::Header,
                        left => State::Data {
                            remaining: left,
                            keep,
                        },
                    };
                }
                State::Buffer {
                    remaining,
                    data_len,
                    kind,
                } => {
                    if (self.input.len() as u64) < remaining {
                        break;
                    }
                    let padded = self.input.split_to(remaining as usize);
                    self.buffered(&padded[..data_len], &padded, kind, &mut out);
                    self.state = State::Header;
                }
                State::End => {
                    // Go's tar writer ends with exactly two zero blocks; the engine
                    // appends a JSON error after them when the export failed late.
                    if let Some(at) = self.input.iter().position(|b| *b != 0) {
                        let text = String::from_utf8_lossy(&self.input[at..]).into_owned();
                        return Err(Malformed(format!(
                            "the source engine ended the export with an error: {}",
                            engine_error_text(&text)
                        )));
                    }
                    self.input.clear();
                    break;
                }
            }
        }
        self.tally.bytes_out += out.len() as u64;
        Ok(out.freeze())
    }

    /// Checks that the archive ended properly.
    pub fn finish(&self) -> Result<(), Malformed> {
        match self.state {
            State::End => Ok(()),
            _ => Err(Malformed(
                "the image export ended before the end of the archive".into(),
            )),
        }
    }

    fn header(&mut self, block: &[u8], out: &mut BytesMut) -> Result<(), Malformed> {
        if block.iter().all(|b| *b == 0) {
            out.extend_from_slice(&self.held.split());
            out.extend_from_slice(block);
            self.zero_blocks += 1;
            if self.zero_blocks == 2 {
                self.state = State::End;
            }
            return Ok(());
        }
        if self.zero_blocks > 0 {
            return Err(Malformed("a lone zero block inside the archive".into()));
        }
        let header = tar::Header::from_byte_slice(block);
        verify_checksum(header)?;
        let size = header
            .entry_size()
            .map_err(|e| Malformed(format!("a tar header with a bad size: {e}")))?;
        let kind = header.entry_type();
        let extension = kind.is_gnu_longname() || kind.is_pax_local_extensions();
        let size = match extension {
            true => size,
            false => self.pax_size.take().unwrap_or(size),
        };
        let padded = size
            .checked_next_multiple_of(BLOCK as u64)
            .ok_or_else(|| Malformed(format!("a tar entry of {size} bytes")))?;
        if extension {
            // Held until their entry comes: all of them together, or a source that
            // sends one after another would fill the memory.
            if self.held.len() as u64 + BLOCK as u64 + padded > MAX_BUFFERED {
                return Err(Malformed(format!(
                    "extension headers of more than {} bytes before one entry in the archive",
                    MAX_BUFFERED
                )));
            }
            self.held.extend_from_slice(block);
            self.state = State::Buffer {
                remaining: padded,
                data_len: size as usize,
                kind: Buffered::Extension {
                    pax: kind.is_pax_local_extensions(),
                },
            };
            return Ok(());
        }
        let path = match self.long_name.take() {
            Some(name) => name,
            None => String::from_utf8_lossy(&header.path_bytes()).into_owned(),
        };
        let path = path.trim_start_matches("./").trim_end_matches('/');
        let (dir, file) = path.split_once('/').unwrap_or((path, ""));
        let skip = (file == "layer.tar" && self.dropped_dirs.contains(dir))
            || self.skip_blobs.contains(path);
        if skip {
            self.held.clear();
            self.tally.layers_skipped += 1;
            self.tally.bytes_skipped += (BLOCK as u64) + padded;
            self.state = match padded {
                0 => State::Header,
                _ => State::Data {
                    remaining: padded,
                    keep: false,
                },
            };
            return Ok(());
        }
        if file == "json" && kind.is_file() && size <= MAX_BUFFERED && !self.skip_chains.is_empty()
        {
            self.held.extend_from_slice(block);
            self.state = State::Buffer {
                remaining: padded,
                data_len: size as usize,
                kind: Buffered::DirJson,
            };
            self.json_dir = Some(dir.to_string());
            return Ok(());
        }
        out.extend_from_slice(&self.held.split());
        out.extend_from_slice(block);
        if padded > 0 {
            self.state = State::Data {
                remaining: padded,
                keep: true,
            };
        }
        Ok(())
    }

    fn buffered(&mut self, data: &[u8], padded: &[u8], kind: Buffered, out: &mut BytesMut) {
        match kind {
            Buffered::DirJson => {
                let dir = self.json_dir.take().unwrap_or_default();
                if let Some(chain) = v1_dir_chain(data, &self.skip_chains) {
                    tracing::debug!(dir, chain, "the target has this layer");
                    self.dropped_dirs.insert(dir);
                }
                out.extend_from_slice(&self.held.split());
                out.extend_from_slice(padded);
            }
            Buffered::Extension { pax } => {
                self.held.extend_from_slice(padded);
                if pax {
                    self.pax_size = crate::backup::archive::pax_size(data);
                }
                self.long_name = if pax {
                    pax_path(data)
                } else {
                    Some(
                        String::from_utf8_lossy(data)
                            .trim_end_matches('\0')
                            .to_string(),
                    )
                };
            }
        }
    }
}

/// The `path` record of a pax extended header.
fn pax_path(data: &[u8]) -> Option<String> {
    tar::PaxExtensions::new(data)
        .flatten()
        .find(|e| e.key() == Ok("path"))
        .and_then(|e| e.value().ok().map(str::to_string))
}

fn verify_checksum(header: &tar::Header) -> Result<(), Malformed> {
    let stored = header
        .cksum()
        .map_err(|_| Malformed("a tar header without a valid checksum".into()))?;
    let bytes = header.as_bytes();
    let sum: u32 = bytes[..148]
        .iter()
        .chain(&[b' '; 8])
        .chain(&bytes[156..])
        .map(|b| u32::from(*b))
        .sum();
    if sum != stored {
        return Err(Malformed(
            "a tar header with a wrong checksum: the export is not an image archive".into(),
        ));
    }
    Ok(())
}

/// The message of a JSON error (`{"message":...}` or `{"errorDetail":...}`) the engine
/// appended, else the text itself, shortened.
fn engine_error_text(text: &str) -> String {
    let text = text.trim_matches(char::from(0)).trim();
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        for pointer in ["/errorDetail/message", "/error", "/message"] {
            if let Some(message) = value.pointer(pointer).and_then(|v| v.as_str()) {
                return message.to_string();
            }
        }
    }
    text.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::super::layers::chain_ids;
    use super::*;

    fn entry(builder: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]) {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, path, data).unwrap();
    }

    fn names(archive: &[u8]) -> Vec<String> {
        tar::Archive::new(archive)
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect()
    }

    /// Runs `archive` through the filter in chunks of `chunk` bytes.
    fn filtered(skip: &Skippable, archive: &[u8], chunk: usize) -> (Vec<u8>, Tally) {
        let mut filter = LayerFilter::new(skip);
        let mut out = Vec::new();
        for piece in archive.chunks(chunk) {
            out.extend_from_slice(&filter.push(piece).unwrap());
        }
        filter.finish().unwrap();
        (out, filter.tally())
    }

    /// A legacy archive of two layers whose directories carry the engine's json.
    fn legacy(diffs: &[String]) -> Vec<u8> {
        let chains = chain_ids(diffs);
        let mut builder = tar::Builder::new(Vec::new());
        let mut parent: Option<String> = None;
        for (n, chain) in chains.iter().enumerate() {
            let mut hashed = format!(
                "{{\"container_config\":{{}},\"created\":\"1970-01-01T00:00:00Z\",\"layer_id\":{}",
                serde_json::to_string(chain).unwrap()
            );
            if let Some(p) = &parent {
                hashed.push_str(&format!(",\"parent\":\"sha256:{p}\""));
            }
            hashed.push('}');
            let id = hex::encode(Sha256::digest(hashed.as_bytes()));
            let json = match &parent {
                Some(p) => format!(
                    "{{\"id\":\"{id}\",\"parent\":\"{p}\",\"created\":\"1970-01-01T00:00:00Z\",\"container_config\":{{}},\"os\":\"linux\"}}"
                ),
                None => format!(
                    "{{\"id\":\"{id}\",\"created\":\"1970-01-01T00:00:00Z\",\"container_config\":{{}},\"os\":\"linux\"}}"
                ),
            };
            entry(&mut builder, &format!("{id}/VERSION"), b"1.0");
            entry(&mut builder, &format!("{id}/json"), json.as_bytes());
            entry(
                &mut builder,
                &format!("{id}/layer.tar"),
                &vec![n as u8 + 1; 3000],
            );
            parent = Some(id);
        }
        entry(&mut builder, "manifest.json", b"[]");
        builder.into_inner().unwrap()
    }

    use sha2::{Digest, Sha256};

    #[test]
    fn only_the_layers_the_target_has_are_left_out() {
        let diffs = vec!["sha256:aa".to_string(), "sha256:bb".to_string()];
        let archive = legacy(&diffs);
        let target = chain_ids(&diffs[..1]).into_iter().collect();
        let skip = super::super::layers::skippable(&diffs, &target);
        for chunk in [1, 7, 512, 4096, 1 << 20] {
            let (out, tally) = filtered(&skip, &archive, chunk);
            let kept = names(&out);
            assert_eq!(kept.iter().filter(|n| n.ends_with("layer.tar")).count(), 1);
            assert_eq!(kept.len(), names(&archive).len() - 1);
            assert_eq!(tally.layers_skipped, 1);
            assert_eq!(tally.bytes_out, out.len() as u64);
        }
    }

    #[test]
    fn nothing_to_skip_passes_the_archive_unchanged() {
        let diffs = vec!["sha256:aa".to_string()];
        let archive = legacy(&diffs);
        let (out, tally) = filtered(&Skippable::default(), &archive, 1000);
        assert_eq!(out, archive);
        assert_eq!(tally.layers_skipped, 0);
    }

    #[test]
    fn oci_layer_blobs_are_left_out_by_diff_id() {
        let mut builder = tar::Builder::new(Vec::new());
        entry(&mut builder, "blobs/sha256/aa", &[1; 2000]);
        entry(&mut builder, "blobs/sha256/bb", &[2; 2000]);
        entry(&mut builder, "index.json", b"{}");
        let archive = builder.into_inner().unwrap();
        assert_blob_aa_is_left_out(&archive);
    }

    /// Checks that `archive`'s blob `aa` is left out, its `bb` and `index.json` kept.
    fn assert_blob_aa_is_left_out(archive: &[u8]) {
        let skip = Skippable {
            chains: vec!["sha256:aa".into()],
            diff_ids: ["sha256:aa".to_string()].into(),
            missing: 1,
        };
        let (out, tally) = filtered(&skip, archive, 333);
        assert_eq!(names(&out), vec!["blobs/sha256/bb", "index.json"]);
        assert_eq!(tally.layers_skipped, 1);
    }

    /// Go's tar writer gives an entry of 8 GiB or more its size in a pax record and 0
    /// in its header: the filter passes (or leaves out) the whole entry.
    #[test]
    fn a_size_in_a_pax_record_is_the_entrys() {
        let mut archive = Vec::new();
        let record = b"13 size=2000\n";
        let mut pax = tar::Header::new_ustar();
        pax.set_path("PaxHeaders/aa").unwrap();
        pax.set_entry_type(tar::EntryType::XHeader);
        pax.set_size(record.len() as u64);
        pax.set_cksum();
        archive.extend_from_slice(pax.as_bytes());
        archive.extend_from_slice(record);
        archive.resize(archive.len().next_multiple_of(512), 0);
        let mut blob = tar::Header::new_ustar();
        blob.set_path("blobs/sha256/aa").unwrap();
        blob.set_entry_type(tar::EntryType::Regular);
        blob.set_size(0);
        blob.set_cksum();
        archive.extend_from_slice(blob.as_bytes());
        archive.extend_from_slice(&[1; 2000]);
        archive.resize(archive.len().next_multiple_of(512), 0);
        let mut builder = tar::Builder::new(archive);
        entry(&mut builder, "blobs/sha256/bb", &[2; 2000]);
        entry(&mut builder, "index.json", b"{}");
        let archive = builder.into_inner().unwrap();
        assert_blob_aa_is_left_out(&archive);
        let (out, _) = filtered(&Skippable::default(), &archive, 333);
        assert_eq!(out, archive);
    }

    #[test]
    fn a_truncated_or_trailing_error_export_is_refused() {
        let archive = legacy(&["sha256:aa".to_string()]);
        let mut filter = LayerFilter::new(&Skippable::default());
        filter.push(&archive[..archive.len() - 1024]).unwrap();
        assert!(filter.finish().is_err());

        let mut with_error = archive.clone();
        with_error.extend_from_slice(b"{\"message\":\"disk full\"}");
        let mut filter = LayerFilter::new(&Skippable::default());
        let err = filter.push(&with_error).unwrap_err();
        assert!(err.0.contains("disk full"), "{}", err.0);

        let mut corrupt = archive;
        corrupt[100] ^= 0xff;
        let mut filter = LayerFilter::new(&Skippable::default());
        assert!(filter.push(&corrupt).is_err());
    }

    #[test]
    fn extension_headers_without_end_are_refused_not_held() {
        let mut archive = Vec::new();
        let name = vec![b'n'; 100 << 10];
        for _ in 0..100 {
            let mut header = tar::Header::new_gnu();
            header.set_path("././@LongLink").unwrap();
            header.set_entry_type(tar::EntryType::GNULongName);
            header.set_size(name.len() as u64);
            header.set_cksum();
            archive.extend_from_slice(header.as_bytes());
            archive.extend_from_slice(&name);
        }
        let mut filter = LayerFilter::new(&Skippable::default());
        let refused = archive
            .chunks(64 << 10)
            .map(|piece| filter.push(piece))
            .find_map(Result::err)
            .expect("refused");
        assert!(refused.0.contains("extension headers"), "{}", refused.0);
    }

    #[test]
    fn long_names_stay_with_their_entry() {
        let long = format!("{}/layer.tar", "d".repeat(120));
        let mut builder = tar::Builder::new(Vec::new());
        entry(&mut builder, &long, &[1; 10]);
        entry(&mut builder, "manifest.json", b"[]");
        let archive = builder.into_inner().unwrap();
        let (out, _) = filtered(&Skippable::default(), &archive, 100);
        assert_eq!(names(&out), vec![long, "manifest.json".to_string()]);
    }
}
