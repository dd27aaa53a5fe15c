//! `manifest.json` and `SHA256SUMS`: what a backup holds, and the checksums that a
//! person can check with `sha256sum -c SHA256SUMS` (docs/cli.md "Backups on disk").

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::entry::{Fingerprint, PathBytes};

/// The `format` field of every manifest.
pub const FORMAT: &str = "docker-safeops-backup";
/// The manifest version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The checksum file's name.
pub const SHA256SUMS: &str = "SHA256SUMS";
/// The `purpose` of a backup of its own; a safety backup's names the operation it
/// protects. Retention counts only these.
pub const BACKUP_PURPOSE: &str = "backup";

/// A backup's table of contents.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`FORMAT_VERSION`] for this build.
    pub format_version: u32,
    /// The docker-safeops version that wrote it.
    pub tool_version: String,
    /// When the backup started (RFC 3339, UTC).
    pub created: String,
    /// Why it was made: `backup`, or the operation it protects (`before restore`).
    pub purpose: String,
    /// The engine it was taken from.
    pub engine: EngineInfo,
    /// The host the tool ran on.
    pub host: String,
    /// What was backed up.
    pub target: TargetInfo,
    /// Containers stopped while volumes were captured (then restarted).
    pub quiesced: Vec<String>,
    /// Every file of the backup besides the manifest and `SHA256SUMS`.
    pub artifacts: Vec<Artifact>,
    /// Captured volumes.
    pub volumes: Vec<VolumeInfo>,
    /// Container specs.
    pub containers: Vec<ContainerInfo>,
    /// Images in `images/images.tar`.
    pub images: Vec<ImageInfo>,
    /// Database dumps.
    pub dumps: Vec<DumpInfo>,
    /// Compose and env files, by their original path.
    pub compose_files: Vec<ComposeFileInfo>,
    /// The head of the audit log when the backup was made: an anchor that `log
    /// --verify` checks the log against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_head: Option<crate::guard::audit::Head>,
}

/// The engine a backup was taken from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EngineInfo {
    /// Address, e.g. `unix:///var/run/docker.sock`.
    pub host: String,
    /// Docker context.
    pub context: String,
    /// Engine version.
    pub version: String,
    /// API version.
    pub api_version: String,
    /// The engine host's name, OS and architecture, as the engine reports them.
    pub name: Option<String>,
    /// Operating system.
    pub os: Option<String>,
    /// Architecture.
    pub arch: Option<String>,
}

/// What a backup is of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetInfo {
    /// `project`, `container` or `volumes`.
    pub kind: String,
    /// Project, container or volume name.
    pub name: String,
    /// `compose` or `run`.
    pub mode: String,
}

/// What an artifact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    /// `volumes/<name>.tar.zst`.
    VolumeArchive,
    /// `volumes/<name>.files.json`: the per-file digest list.
    FileList,
    /// `containers/<name>.json`: the inspect document.
    ContainerSpec,
    /// A compose or env file under `compose/`.
    ComposeFile,
    /// `images/images.tar`: `docker save` format.
    ImageArchive,
    /// A database dump under `dumps/`.
    Dump,
}

/// One file of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// Path relative to the backup directory.
    pub path: String,
    /// What it is.
    pub kind: ArtifactKind,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, hex.
    pub sha256: String,
}

/// A captured volume.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VolumeInfo {
    /// Engine name.
    pub name: String,
    /// Driver.
    pub driver: String,
    /// Driver options.
    pub driver_opts: BTreeMap<String, String>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Declared `external` in the compose file.
    pub external: bool,
    /// The archive artifact.
    pub archive: String,
    /// The digest list artifact.
    pub file_list: String,
    /// How many files and bytes it held.
    pub fingerprint: Fingerprint,
    /// How it was read: `direct` (mountpoint) or `api` (engine archive endpoint).
    pub access: String,
    /// When the engine created the volume: a restore into the very same volume (not one
    /// of the same name made later, nor one a forged manifest names) keeps its special
    /// entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Files that changed size while read (only possible with `--no-quiesce`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed_while_read: Vec<PathBytes>,
}

/// A saved container spec.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContainerInfo {
    /// Container name.
    pub name: String,
    /// Container id.
    pub id: String,
    /// Image reference.
    pub image: String,
    /// Compose service, when it has one.
    pub service: Option<String>,
    /// The inspect document artifact.
    pub spec: String,
}

/// An image in the image archive.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageInfo {
    /// The reference it was exported under.
    pub reference: String,
    /// Its image id.
    pub id: String,
}

/// A database dump.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DumpInfo {
    /// The database container.
    pub container: String,
    /// `postgres` or `mysql`.
    pub engine: String,
    /// The dump artifact (zstd-compressed SQL).
    pub path: String,
}

/// A compose or env file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ComposeFileInfo {
    /// Where it was.
    pub original: String,
    /// The artifact.
    pub path: String,
}

impl Manifest {
    /// The artifact at `path`.
    pub fn artifact(&self, path: &str) -> Option<&Artifact> {
        self.artifacts.iter().find(|a| a.path == path)
    }

    /// The sum of all artifact sizes.
    pub fn size_bytes(&self) -> u64 {
        self.artifacts.iter().map(|a| a.size).sum()
    }

    /// Schema problems: wrong format or version, unsafe or dangling artifact paths,
    /// references to artifacts that are not listed or of the wrong kind, volumes not
    /// where `layout` keeps them.
    pub fn problems(&self, layout: Layout) -> Vec<String> {
        let mut problems = Vec::new();
        if self.format != FORMAT {
            problems.push(format!("format is {:?}, expected {FORMAT:?}", self.format));
        }
        if self.format_version != FORMAT_VERSION {
            problems.push(format!(
                "format_version {} is not supported (this build reads {FORMAT_VERSION})",
                self.format_version
            ));
        }
        if humantime::parse_rfc3339(&self.created).is_err() {
            problems.push(format!(
                "created {:?} is not an RFC 3339 time",
                self.created
            ));
        }
        let names = std::iter::once(("target", &self.target.name))
            .chain(self.volumes.iter().map(|v| ("volume", &v.name)))
            .chain(self.containers.iter().map(|c| ("container", &c.name)));
        for (what, name) in names {
            if !crate::engine::names::is_valid(name) {
                problems.push(format!("{what} name {:?} is not a valid Docker name", name));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for artifact in &self.artifacts {
            if !is_safe_relative(&artifact.path) {
                problems.push(format!("artifact path {:?} is not safe", artifact.path));
            }
            if !seen.insert(artifact.path.as_str()) {
                problems.push(format!("artifact {:?} listed twice", artifact.path));
            }
            if artifact.sha256.len() != 64 || hex::decode(&artifact.sha256).is_err() {
                problems.push(format!("artifact {:?} has no valid sha256", artifact.path));
            }
        }
        // A snapshot's volumes are trees beside their digest lists, where its volume
        // names put them: any other path could skip a check.
        for volume in self.volumes.iter().filter(|_| layout == Layout::Snapshot) {
            let tree = format!("volumes/{}/", volume.name);
            let list = super::digest_list::path_of(&volume.name);
            if volume.file_list.is_empty() {
                problems.push(format!(
                    "volume {:?} has no digest list (a snapshot of a development version \
                     before they existed): `restic restore` still reads it",
                    volume.name
                ));
            } else if volume.archive != tree || volume.file_list != list {
                problems.push(format!(
                    "volume {:?} is at {:?} with digest list {:?}, not at {tree:?} with {list:?}",
                    volume.name, volume.archive, volume.file_list
                ));
            }
        }
        let mut expect = |path: &str, kind: ArtifactKind, what: &str| match self.artifact(path) {
            Some(a) if a.kind == kind => {}
            Some(_) => problems.push(format!("{what} {path:?} is not a {kind:?} artifact")),
            None => problems.push(format!("{what} {path:?} is not listed as an artifact")),
        };
        for volume in self.volumes.iter().filter(|_| layout == Layout::Plain) {
            expect(
                &volume.archive,
                ArtifactKind::VolumeArchive,
                "volume archive",
            );
            expect(&volume.file_list, ArtifactKind::FileList, "digest list");
        }
        for container in &self.containers {
            expect(
                &container.spec,
                ArtifactKind::ContainerSpec,
                "container spec",
            );
        }
        for dump in &self.dumps {
            expect(&dump.path, ArtifactKind::Dump, "dump");
        }
        for file in &self.compose_files {
            expect(&file.path, ArtifactKind::ComposeFile, "compose file");
        }
        if !self.images.is_empty() {
            expect(images_path(), ArtifactKind::ImageArchive, "image archive");
        }
        problems
    }

    /// The `SHA256SUMS` text: one `<sha256>  <path>` line per artifact.
    pub fn sha256sums(&self) -> String {
        let mut text = String::new();
        for artifact in &self.artifacts {
            let _ = writeln!(text, "{}  {}", artifact.sha256, artifact.path);
        }
        text
    }
}

/// How a backup lays out what its manifest describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A plain backup directory: each volume an archive and a digest list, artifacts.
    Plain,
    /// A snapshot in a repository: each volume a tree beside its digest list.
    Snapshot,
}

/// Where the image archive lives in a backup.
pub fn images_path() -> &'static str {
    "images/images.tar"
}

/// A path relative to the backup directory with no way out of it.
pub fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains(['\n', '\r', '\\', '\0'])
        && path
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != "..")
}

/// Parses `SHA256SUMS` (text mode, `sha256sum`'s format) into path → digest.
pub fn parse_sha256sums(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut sums = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        let parsed = line
            .split_once("  ")
            .or_else(|| line.split_once(" *"))
            .filter(|(sum, _)| sum.len() == 64 && hex::decode(sum).is_ok());
        let Some((sum, path)) = parsed else {
            return Err(format!("line {} is not `<sha256>  <path>`", number + 1));
        };
        if sums.insert(path.to_string(), sum.to_lowercase()).is_some() {
            return Err(format!("{path} is listed twice"));
        }
    }
    Ok(sums)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_relative_paths() {
        assert!(is_safe_relative("volumes/db.tar.zst"));
        for bad in [
            "/etc/passwd",
            "../x",
            "a/../../b",
            "a//b",
            "",
            "a\nb",
            "./a",
        ] {
            assert!(!is_safe_relative(bad), "{bad:?}");
        }
    }

    #[test]
    fn sha256sums_parse_like_coreutils() {
        let sum = "a".repeat(64);
        let sums = parse_sha256sums(&format!("{sum}  volumes/x.tar.zst\n{sum} *b\n")).unwrap();
        assert_eq!(sums.len(), 2);
        assert!(parse_sha256sums("nonsense\n").is_err());
        assert!(parse_sha256sums(&format!("{sum}  x\n{sum}  x\n")).is_err());
    }
}
