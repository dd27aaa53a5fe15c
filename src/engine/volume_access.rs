//! How we reach a volume's files: directly through its mountpoint when the engine is
//! on this host and we may read (or write) it, else through the Engine API's archive
//! endpoint on a helper container that mounts the volume and is never started (so it
//! works on remote engines and needs no image with a shell). `SAFEOPS_VOLUME_ACCESS`
//! (`auto`, `direct`, `api`) overrides the choice, for measurements and for tests.

use std::io::{self, Read};
use std::path::PathBuf;

use bollard::models::{ContainerCreateBody, HostConfig, Mount, MountType};
use bollard::query_parameters::{
    CreateImageOptionsBuilder, DownloadFromContainerOptionsBuilder, RemoveContainerOptionsBuilder,
    UploadToContainerOptionsBuilder,
};
use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};

use crate::engine::Engine;
use crate::error::{Error, Result, engine_message};

/// Label on helper containers: the pid of the process that created them.
pub const LABEL_HELPER_PID: &str = "io.safeops.helper.pid";

/// The image helper containers are created from: an empty file system, imported once.
const HELPER_IMAGE: &str = "docker-safeops/helper:scratch";
/// Where helper containers mount the volume.
pub const HELPER_MOUNT: &str = "/vol";

/// How a volume's files are reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Through its mountpoint on this host.
    Direct(PathBuf),
    /// Through the engine's archive endpoint.
    Api,
}

impl Access {
    /// `direct` or `api`, as the manifest records it.
    pub fn label(&self) -> &'static str {
        match self {
            Access::Direct(_) => "direct",
            Access::Api => "api",
        }
    }
}

/// The variable that picks the access (`auto`, `direct`, `api`).
pub const ACCESS_ENV: &str = "SAFEOPS_VOLUME_ACCESS";

/// The variable that names the image helper scripts run in.
pub const HELPER_IMAGE_ENV: &str = "SAFEOPS_HELPER_IMAGE";

/// Picks the access for `volume`; `write` when we are going to change it.
pub fn choose(engine: &Engine, volume: &bollard::models::Volume, write: bool) -> Result<Access> {
    let wanted = std::env::var(ACCESS_ENV).unwrap_or_default();
    let direct = direct_path(engine, volume, write);
    match (wanted.as_str(), direct) {
        ("api", _) => Ok(Access::Api),
        ("direct", Ok(path)) | ("" | "auto", Ok(path)) => Ok(Access::Direct(path)),
        ("direct", Err(why)) => Err(Error::usage(format!(
            "SAFEOPS_VOLUME_ACCESS=direct, but volume {} cannot be reached directly: {why}",
            volume.name
        ))),
        ("" | "auto", Err(why)) => {
            tracing::debug!("volume {} through the engine API: {why}", volume.name);
            Ok(Access::Api)
        }
        (other, _) => Err(Error::usage(format!(
            "SAFEOPS_VOLUME_ACCESS={other:?} is not one of auto, direct, api"
        ))),
    }
}

/// A path on this host whose file system holds `volume`'s data, to measure its free
/// space: none when the engine is elsewhere, the driver keeps the data elsewhere, or a
/// volume with driver options (tmpfs, NFS) is not mounted now (its mountpoint would
/// show the engine's own file system).
pub fn file_system_path(engine: &Engine, volume: &bollard::models::Volume) -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    if !engine.endpoint.host.starts_with("unix://") || volume.driver != "local" {
        return None;
    }
    let path = PathBuf::from(&volume.mountpoint);
    let device = |p: &std::path::Path| std::fs::metadata(p).ok().map(|m| m.dev());
    let mounted = || {
        let parent = path.parent().and_then(device);
        device(&path).is_some_and(|d| parent.is_some_and(|p| p != d))
    };
    (path.is_dir() && (volume.options.is_empty() || mounted())).then_some(path)
}

/// The engine's directory of local volumes (`DockerRootDir/volumes`), where a new one
/// is made, when the engine is on this host and it can be looked at.
pub async fn new_volumes_path(engine: &Engine) -> Option<PathBuf> {
    if !engine.endpoint.host.starts_with("unix://") {
        return None;
    }
    let root = engine.docker.info().await.ok()?.docker_root_dir?;
    Some(PathBuf::from(root).join("volumes")).filter(|p| p.is_dir())
}

fn direct_path(
    engine: &Engine,
    volume: &bollard::models::Volume,
    write: bool,
) -> std::result::Result<PathBuf, String> {
    if !engine.endpoint.host.starts_with("unix://") {
        return Err("the engine is not on this host".into());
    }
    if volume.driver != "local" {
        return Err(format!("driver {} keeps its data elsewhere", volume.driver));
    }
    if !volume.options.is_empty() {
        // NFS, bind devices and the like are only mounted while a container uses them:
        // the mountpoint would look empty.
        return Err("driver options: the data is mounted only while a container runs".into());
    }
    let path = PathBuf::from(&volume.mountpoint);
    let access = if write {
        rustix::fs::Access::READ_OK | rustix::fs::Access::WRITE_OK | rustix::fs::Access::EXEC_OK
    } else {
        rustix::fs::Access::READ_OK | rustix::fs::Access::EXEC_OK
    };
    if !path.is_dir() || rustix::fs::access(&path, access).is_err() {
        return Err(format!("{} is not accessible here", path.display()));
    }
    // Root may read everything; anyone else would miss files they cannot read.
    if !rustix::process::geteuid().is_root() {
        return Err("only root can read every file of a volume".into());
    }
    Ok(path)
}

/// A container that mounts one volume at [`HELPER_MOUNT`] and is never started; the
/// archive endpoint reads and writes the volume through it.
pub struct Helper {
    engine: Engine,
    /// Its id.
    pub id: String,
}

async fn ensure_helper_image(engine: &Engine) -> Result<()> {
    if engine.docker.inspect_image(HELPER_IMAGE).await.is_ok() {
        return Ok(());
    }
    let mut rootfs = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Directory);
    header.set_mode(0o755);
    header.set_size(0);
    rootfs.append_data(&mut header, "vol/", io::empty())?;
    let rootfs = rootfs.into_inner()?;
    let (repo, tag) = HELPER_IMAGE
        .split_once(':')
        .expect("helper image has a tag");
    let options = CreateImageOptionsBuilder::default()
        .from_src("-")
        .repo(repo)
        .tag(tag)
        .changes(vec![r#"CMD ["/never-started"]"#.to_string()])
        .build();
    let mut progress = engine.docker.create_image(
        Some(options),
        Some(bollard::body_full(Bytes::from(rootfs))),
        None,
    );
    while let Some(item) = progress.next().await {
        item.map_err(|err| {
            Error::failure(format!(
                "cannot create the helper image {HELPER_IMAGE}: {}",
                engine_message(&err)
            ))
        })?;
    }
    Ok(())
}

/// A container of `image` labelled with this process, without network, that mounts
/// `volume` at [`HELPER_MOUNT`].
fn helper_body(image: &str, volume: &str, read_only: bool) -> ContainerCreateBody {
    ContainerCreateBody {
        image: Some(image.to_string()),
        network_disabled: Some(true),
        labels: Some([(LABEL_HELPER_PID.to_string(), std::process::id().to_string())].into()),
        host_config: Some(HostConfig {
            mounts: Some(vec![Mount {
                typ: Some(MountType::VOLUME),
                source: Some(volume.to_string()),
                target: Some(HELPER_MOUNT.to_string()),
                read_only: Some(read_only),
                ..Mount::default()
            }]),
            ..HostConfig::default()
        }),
        ..ContainerCreateBody::default()
    }
}

impl Helper {
    /// Creates a helper for `volume`.
    pub async fn create(engine: &Engine, volume: &str, read_only: bool) -> Result<Helper> {
        ensure_helper_image(engine).await?;
        let body = helper_body(HELPER_IMAGE, volume, read_only);
        let created = engine
            .docker
            .create_container(None, body)
            .await
            .map_err(|err| {
                Error::failure(format!(
                    "cannot create a helper container for volume {volume}: {}",
                    engine_message(&err)
                ))
            })?;
        Ok(Helper {
            engine: engine.clone(),
            id: created.id,
        })
    }

    /// The tar stream of `path` inside the helper (entries are prefixed with its last
    /// component).
    pub fn download(&self, path: &str) -> impl Stream<Item = io::Result<Bytes>> + use<> {
        self.downloader().download(path)
    }

    /// What downloads from the helper, for as long as the helper exists.
    pub fn downloader(&self) -> Downloader {
        Downloader {
            engine: self.engine.clone(),
            id: self.id.clone(),
        }
    }

    /// Extracts the tar `stream` into `path` inside the helper, keeping owners.
    pub async fn upload(
        &self,
        path: &str,
        stream: impl Stream<Item = io::Result<Bytes>> + Send + 'static,
    ) -> Result<()> {
        let options = UploadToContainerOptionsBuilder::default()
            .path(path)
            .copy_uidgid("true")
            .build();
        self.engine
            .docker
            .upload_to_container(&self.id, Some(options), bollard::body_try_stream(stream))
            .await
            .map_err(|err| {
                Error::failure(format!(
                    "engine refused the upload: {}",
                    engine_message(&err)
                ))
            })
    }

    /// Removes the helper (never the volume).
    pub async fn remove(self) {
        if let Err(why) = remove_helper(&self.engine, &self.id).await {
            tracing::warn!("cannot remove helper container {}: {why}", self.id);
        }
    }
}

/// How long the removal of a helper is tried again while the engine answers that
/// another removal of it is under way (a recovery run by a concurrent command).
const HELPER_REMOVAL_PATIENCE: std::time::Duration = std::time::Duration::from_secs(15);

/// Removes helper container `id` (never its volume): whether it was still there, or
/// the engine's last reason for refusing.
pub async fn remove_helper(engine: &Engine, id: &str) -> std::result::Result<bool, String> {
    let options = RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(false)
        .build();
    let deadline = std::time::Instant::now() + HELPER_REMOVAL_PATIENCE;
    loop {
        match engine
            .docker
            .remove_container(id, Some(options.clone()))
            .await
        {
            Ok(()) => return Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => return Ok(false),
            // Only a removal under way ends by itself.
            Err(
                err @ bollard::errors::Error::DockerResponseServerError {
                    status_code: 409, ..
                },
            ) if std::time::Instant::now() < deadline => {
                tracing::debug!(
                    "helper container {id} not removed yet: {}",
                    engine_message(&err)
                );
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
            Err(err) => return Err(engine_message(&err)),
        }
    }
}

/// Downloads from a helper container.
#[derive(Clone)]
pub struct Downloader {
    engine: Engine,
    id: String,
}

impl Downloader {
    /// The tar stream of `path` inside the helper (entries are prefixed with its last
    /// component).
    pub fn download(&self, path: &str) -> impl Stream<Item = io::Result<Bytes>> + use<> {
        let options = DownloadFromContainerOptionsBuilder::default()
            .path(path)
            .build();
        self.engine
            .docker
            .download_from_container(&self.id, Some(options))
            .map_err(|err| io::Error::other(engine_message(&err)))
    }
}

/// A blocking reader over an async byte stream; use it in a blocking thread only.
pub fn blocking_reader(
    stream: impl Stream<Item = io::Result<Bytes>> + Send + Unpin + 'static,
) -> impl Read + Send {
    tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(stream))
}

/// A blocking writer whose bytes become an async stream (for uploads); use the writer
/// in a blocking thread. Dropping the writer ends the stream; [`ChannelWriter::failer`]
/// ends it with an error so the engine sees a broken upload, not a short one.
pub fn channel_stream() -> (
    ChannelWriter,
    impl Stream<Item = io::Result<Bytes>> + Send + 'static,
) {
    let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(8);
    let stream = tokio_stream_from(rx);
    (
        ChannelWriter {
            tx,
            buf: Vec::with_capacity(CHUNK),
        },
        stream,
    )
}

const CHUNK: usize = 1 << 20;

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<io::Result<Bytes>>,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// The writing end of [`channel_stream`].
pub struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the engine stopped reading"))
    }

    /// A handle that can end the stream with an error while the writer is owned by
    /// something else.
    pub fn failer(&self) -> StreamFailer {
        StreamFailer {
            tx: self.tx.clone(),
        }
    }
}

/// Ends a [`channel_stream`] with an error.
pub struct StreamFailer {
    tx: tokio::sync::mpsc::Sender<io::Result<Bytes>>,
}

impl StreamFailer {
    /// Ends the stream with `err` (blocking; call from a blocking thread).
    pub fn fail(self, err: io::Error) {
        let _ = self.tx.blocking_send(Err(err));
    }
}

impl io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        let _ = self.send();
    }
}

/// Runs `script` with `/bin/sh` of `image` as root in a helper container that mounts
/// `volume` at [`HELPER_MOUNT`], and removes the container. A failure says it could not
/// `purpose` (e.g. "move the restored files into place").
pub async fn run_shell(
    engine: &Engine,
    (image, volume): (&str, &str),
    script: &str,
    purpose: &str,
) -> Result<()> {
    match shell_status(engine, (image, volume), script, purpose).await? {
        0 => Ok(()),
        code => Err(shell_error(
            (image, volume),
            purpose,
            format!("the script exited with {code}"),
        )),
    }
}

/// [`run_shell`], with the script's exit status: an error only when it could not run
/// to its end.
pub async fn shell_status(
    engine: &Engine,
    (image, volume): (&str, &str),
    script: &str,
    purpose: &str,
) -> Result<i64> {
    let body = ContainerCreateBody {
        entrypoint: Some(vec!["/bin/sh".into(), "-c".into()]),
        cmd: Some(vec![script.to_string()]),
        user: Some("0:0".into()),
        ..helper_body(image, volume, false)
    };
    let failed = |why: String| shell_error((image, volume), purpose, why);
    let created = engine
        .docker
        .create_container(None, body)
        .await
        .map_err(|e| failed(engine_message(&e)))?;
    let outcome = async {
        engine
            .docker
            .start_container(&created.id, None)
            .await
            .map_err(|e| failed(engine_message(&e)))?;
        let mut waits = engine.docker.wait_container(&created.id, None);
        match waits.next().await {
            Some(Ok(exit)) => Ok(exit.status_code),
            Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => Ok(code),
            Some(Err(e)) => Err(failed(engine_message(&e))),
            None => Err(failed("no exit status".into())),
        }
    }
    .await;
    let options = RemoveContainerOptionsBuilder::default().force(true).build();
    let _ = engine
        .docker
        .remove_container(&created.id, Some(options))
        .await;
    outcome
}

fn shell_error((image, volume): (&str, &str), purpose: &str, why: String) -> Error {
    Error::failure(format!(
        "cannot {purpose} in volume {volume} with image {image}: {why}"
    ))
    .hint(SHELL_IMAGE_HINT)
}

/// What to do when no image at hand runs the scripts of [`run_shell`].
pub const SHELL_IMAGE_HINT: &str =
    "set SAFEOPS_HELPER_IMAGE to a local image that has /bin/sh (e.g. busybox)";

/// The image `SAFEOPS_HELPER_IMAGE` names for [`run_shell`], when it is set.
pub fn shell_image_from_env() -> Option<String> {
    std::env::var(HELPER_IMAGE_ENV)
        .ok()
        .filter(|image| !image.is_empty())
}
