//! One image from a source engine into a target engine through both Engine APIs: the
//! source's export (`GET /images/{id}/get`) streams through [`LayerFilter`] straight
//! into the target's load (`POST /images/load`), never landing on disk here and never
//! held in memory. What the target already has stays out of the stream.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bollard::query_parameters::{ImportImageOptionsBuilder, ListImagesOptionsBuilder};
use bytes::Bytes;
use futures_util::{Stream, StreamExt, stream};

use super::filter::{LayerFilter, Tally};
use super::layers::{Skippable, skippable};
use crate::engine::Engine;
use crate::error::{Error, Result, engine_message};

/// How many image inspections run at once when reading the target's layers.
const INSPECT_CONCURRENCY: usize = 8;
/// The export and the load are one request each that lasts as long as the image takes
/// to travel: no request timeout, a stall timer instead.
const TRANSFER_REQUEST_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 3600);
/// The source writes the whole image to its disk before the first byte: a big image
/// takes a while.
const FIRST_BYTE_WAIT: Duration = Duration::from_secs(3600);
/// Longest pause in the export's stream once it flows.
const STALL: Duration = Duration::from_secs(300);

/// The image on the source engine.
#[derive(Debug, Clone)]
pub struct SourceImage {
    /// Its id (`sha256:...`), the same on every engine that has it.
    pub id: String,
    /// Its layers' diff ids, bottom first.
    pub diff_ids: Vec<String>,
    /// Each layer's size as the source reports it (uncompressed), when known.
    pub layer_sizes: Vec<u64>,
}

/// Reads `reference` (a name or an id) on the source.
pub async fn source_image(source: &Engine, reference: &str) -> Result<SourceImage> {
    let inspect = source.docker.inspect_image(reference).await.map_err(|e| {
        Error::usage(format!(
            "image {reference} is not on the source engine ({}): {}",
            source.endpoint.host,
            engine_message(&e)
        ))
        .hint("name an image the source has (docker image ls there), or a container it runs")
    })?;
    let id = inspect.id.unwrap_or_default();
    let diff_ids = inspect.root_fs.and_then(|r| r.layers).unwrap_or_default();
    let history = source.docker.image_history(&id).await.unwrap_or_default();
    let sizes: Vec<i64> = history.iter().rev().map(|h| h.size).collect();
    Ok(SourceImage {
        layer_sizes: layer_sizes(&sizes, diff_ids.len()),
        id,
        diff_ids,
    })
}

/// Each layer's size from an image's history (oldest first): entries that made no layer
/// report 0, so the entries with a size are layers in order, and zero-size entries are
/// taken as layers only while more layers than sized entries remain. Exact unless a
/// layer is empty, where it can only misplace a size of 0.
fn layer_sizes(history: &[i64], layers: usize) -> Vec<u64> {
    let mut sizes = Vec::with_capacity(layers);
    let mut sized_left = history.iter().filter(|s| **s > 0).count();
    for (n, size) in history.iter().enumerate() {
        if sizes.len() == layers {
            break;
        }
        let layers_left = layers - sizes.len();
        if *size > 0 {
            sizes.push(*size as u64);
            sized_left -= 1;
        } else if layers_left > sized_left && history.len() - n >= layers_left {
            sizes.push(0);
        }
    }
    sizes.resize(layers, 0);
    sizes
}

/// Every chain id the target's image store holds, from all its images (intermediate
/// and dangling ones too).
pub async fn target_chains(target: &Engine) -> Result<HashSet<String>> {
    let options = ListImagesOptionsBuilder::default().all(true).build();
    let images = target.docker.list_images(Some(options)).await?;
    let inspections = stream::iter(images.into_iter().map(|image| {
        let docker = target.docker.clone();
        async move { docker.inspect_image(&image.id).await }
    }))
    .buffer_unordered(INSPECT_CONCURRENCY)
    .collect::<Vec<_>>()
    .await;
    let mut chains = HashSet::new();
    for inspect in inspections.into_iter().flatten() {
        let diffs = inspect.root_fs.and_then(|r| r.layers).unwrap_or_default();
        chains.extend(super::layers::chain_ids(&diffs));
    }
    Ok(chains)
}

/// Why the target gets the whole archive: its image store does not accept one with
/// layers left out (the containerd image store verifies every blob).
pub async fn full_stream_reason(target: &Engine) -> Option<String> {
    let info = target.docker.info().await.ok()?;
    full_stream_for(&info.driver_status.unwrap_or_default())
}

/// [`full_stream_reason`] from the engine's `DriverStatus` pairs: the containerd image
/// store says `["driver-type", "io.containerd.snapshotter.v1"]`.
fn full_stream_for(driver_status: &[Vec<String>]) -> Option<String> {
    let containerd = driver_status.iter().any(|pair| {
        pair.iter()
            .any(|v| v.starts_with("io.containerd.snapshotter"))
    });
    containerd.then(|| {
        "the target uses the containerd image store, which needs every layer in the archive"
            .to_string()
    })
}

/// What a transfer will do.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The image.
    pub image: SourceImage,
    /// The target already has the image: nothing is sent.
    pub present: bool,
    /// What stays out of the stream.
    pub skip: Skippable,
    /// Set when everything must be sent, and why.
    pub full_stream: Option<String>,
}

impl Plan {
    /// Layers the archive carries.
    pub fn layers_total(&self) -> usize {
        self.image.diff_ids.len()
    }

    /// Layers that will be sent.
    pub fn layers_to_send(&self) -> usize {
        match (self.present, &self.full_stream) {
            (true, _) => 0,
            (false, Some(_)) => self.layers_total(),
            (false, None) => self.layers_total() - self.skip.chains.len(),
        }
    }

    /// About how many bytes will be sent: the layers that travel, uncompressed.
    pub fn bytes_to_send(&self) -> u64 {
        if self.present {
            return 0;
        }
        let chains = super::layers::chain_ids(&self.image.diff_ids);
        chains
            .iter()
            .zip(&self.image.layer_sizes)
            .filter(|(chain, _)| self.full_stream.is_some() || !self.skip.chains.contains(chain))
            .map(|(_, size)| size)
            .sum()
    }
}

/// Plans the transfer of `image` to `target`.
pub async fn plan(target: &Engine, image: SourceImage) -> Result<Plan> {
    let present = target
        .docker
        .inspect_image(&image.id)
        .await
        .is_ok_and(|found| found.id.as_deref() == Some(image.id.as_str()));
    let (skip, full_stream) = if present {
        (Skippable::default(), None)
    } else {
        let chains = target_chains(target).await?;
        (
            skippable(&image.diff_ids, &chains),
            full_stream_reason(target).await,
        )
    };
    Ok(Plan {
        image,
        present,
        skip,
        full_stream,
    })
}

/// What a transfer did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sent {
    /// Layer files sent.
    pub layers_sent: usize,
    /// Archive bytes sent.
    pub bytes_sent: u64,
    /// Wall time of the transfer, in seconds.
    pub seconds: f64,
}

/// Sends the image as planned; `progress` counts the bytes sent. The image id on the
/// target is checked against the source's before this returns.
pub async fn send(
    source: &Engine,
    target: &Engine,
    plan: &Plan,
    progress: Arc<AtomicU64>,
) -> Result<Sent> {
    if plan.present {
        return Ok(Sent::default());
    }
    let started = Instant::now();
    let skip = match plan.full_stream {
        Some(_) => Skippable::default(),
        None => plan.skip.clone(),
    };
    let mut tally = load(source, target, &plan.image.id, &skip, &progress).await;
    if let Err(err) = &tally
        && !skip.chains.is_empty()
        && err.message.contains("no such file")
    {
        // The target lacked a layer it was thought to have (removed meanwhile): the
        // whole archive then, rather than no release.
        tracing::warn!(
            "the trimmed archive did not load ({}); sending it whole",
            err.message
        );
        progress.store(0, Ordering::Relaxed);
        tally = load(
            source,
            target,
            &plan.image.id,
            &Skippable::default(),
            &progress,
        )
        .await;
    }
    let tally = tally?;
    let loaded = target.docker.inspect_image(&plan.image.id).await.ok();
    if loaded.as_ref().and_then(|i| i.id.as_deref()) != Some(plan.image.id.as_str()) {
        return Err(Error::failure(format!(
            "the target engine loaded the archive but has no image {}: not releasing",
            plan.image.id
        )));
    }
    Ok(Sent {
        layers_sent: plan.layers_total().saturating_sub(tally.layers_skipped),
        bytes_sent: tally.bytes_out,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// One export-filter-load pass.
async fn load(
    source: &Engine,
    target: &Engine,
    id: &str,
    skip: &Skippable,
    progress: &Arc<AtomicU64>,
) -> Result<Tally> {
    let failure: Arc<Mutex<Option<String>>> = Arc::default();
    let tally: Arc<Mutex<Tally>> = Arc::default();
    let source_docker = source.docker.clone().with_timeout(TRANSFER_REQUEST_TIMEOUT);
    let target_docker = target.docker.clone().with_timeout(TRANSFER_REQUEST_TIMEOUT);
    let archive = filtered(
        source_docker.export_image(id),
        LayerFilter::new(skip),
        Arc::clone(&tally),
        Arc::clone(&failure),
        Arc::clone(progress),
    );
    let options = ImportImageOptionsBuilder::default().quiet(true).build();
    let mut answers = target_docker.import_image_stream(options, archive, None);
    let mut load_error = None;
    while let Some(answer) = answers.next().await {
        if let Err(err) = answer {
            load_error = Some(engine_message(&err));
            break;
        }
    }
    let source_error = failure.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(why) = source_error {
        return Err(Error::failure(format!(
            "the image export from {} failed: {why}; the target loaded nothing",
            source.endpoint.host
        )));
    }
    if let Some(why) = load_error {
        return Err(Error::failure(format!(
            "the target engine ({}) did not load the image: {why}",
            target.endpoint.host
        )));
    }
    let tally = *tally.lock().unwrap_or_else(|e| e.into_inner());
    Ok(tally)
}

/// The export stream run through the filter. A failure (the source went away, a
/// malformed archive) ends the stream with an error, which aborts the upload: the
/// target never loads a partial archive.
fn filtered(
    export: impl Stream<Item = std::result::Result<Bytes, bollard::errors::Error>> + Send + 'static,
    filter: LayerFilter,
    tally: Arc<Mutex<Tally>>,
    failure: Arc<Mutex<Option<String>>>,
    progress: Arc<AtomicU64>,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    let export = Box::pin(export);
    stream::unfold((export, Some(filter)), move |(mut export, filter)| {
        let (tally, failure, progress) = (tally.clone(), failure.clone(), progress.clone());
        async move {
            let mut filter = filter?;
            let fail = |why: String| {
                *failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(why.clone());
                std::io::Error::other(why)
            };
            loop {
                let tally_now = filter.tally();
                let wait = match tally_now.bytes_out + tally_now.bytes_skipped {
                    0 => FIRST_BYTE_WAIT,
                    _ => STALL,
                };
                let Ok(next) = tokio::time::timeout(wait, export.next()).await else {
                    let why = format!("the export stalled for {}s", wait.as_secs());
                    return Some((Err(fail(why)), (export, None)));
                };
                let outcome = match next {
                    Some(Ok(chunk)) => filter.push(&chunk).map_err(|e| e.0),
                    Some(Err(err)) => Err(engine_message(&err)),
                    None => {
                        *tally.lock().unwrap_or_else(|e| e.into_inner()) = filter.tally();
                        return match filter.finish() {
                            Ok(()) => None,
                            Err(e) => Some((Err(fail(e.0)), (export, None))),
                        };
                    }
                };
                match outcome {
                    Ok(out) if out.is_empty() => continue,
                    Ok(out) => {
                        progress.fetch_add(out.len() as u64, Ordering::Relaxed);
                        return Some((Ok(out), (export, Some(filter))));
                    }
                    Err(why) => return Some((Err(fail(why)), (export, None))),
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_containerd_image_store_gets_the_whole_archive() {
        let pair = |a: &str, b: &str| vec![a.to_string(), b.to_string()];
        let containerd = [pair("driver-type", "io.containerd.snapshotter.v1")];
        assert!(full_stream_for(&containerd).is_some());
        let overlay = [
            pair("Backing Filesystem", "extfs"),
            pair("Supports d_type", "true"),
        ];
        assert_eq!(full_stream_for(&overlay), None);
    }

    #[test]
    fn layer_sizes_skip_history_entries_without_a_layer() {
        // FROM (2 MB layer), ENV (none), RUN (5 kB), CMD (none).
        assert_eq!(
            layer_sizes(&[2_000_000, 0, 5_000, 0], 2),
            vec![2_000_000, 5_000]
        );
        // An empty layer that counts: three layers, two sized entries, one empty.
        assert_eq!(layer_sizes(&[0, 10, 20], 3), vec![0, 10, 20]);
        // History shorter than the layers (squashed or imported images).
        assert_eq!(layer_sizes(&[7], 2), vec![7, 0]);
    }
}
